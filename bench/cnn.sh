#!/usr/bin/env bash
# The convolutional network on scikit-learn's 8x8 digits as images, split 80/20 (stratified,
# seed 0): `kiln train --images` (release) writes its accuracy, epochs and time. The goal is at
# least 97 % test accuracy. Needs the bench venv (bench/run.sh makes it).
#
# Usage: bash bench/cnn.sh [OUT.md]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-/dev/stdout}"
cargo build --release -p kiln-cli --features nn
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
.bench-venv/bin/python bench/export_images.py "$tmp/digits" >/dev/null
params=(--param image_size=8 --param color=gray --param flip=false --param shift=1
  --param filters=32x64 --param hidden=128 --param epochs=40 --param patience=8)
"${CARGO_TARGET_DIR:-target}/release/kiln" train --images "$tmp/digits" --model cnn --seed 0 --json "${params[@]}" >"$tmp/r.json"
python3 - "$tmp/r.json" "${params[*]}" >"$out" <<'PY'
import json, os, platform, sys
r = json.load(open(sys.argv[1]))
h = r["history"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print("# CNN on the 8x8 digits (images)\n")
print(f"Machine: {os.cpu_count()} cores, {cpu}. Kiln CNN on the CPU (burn's ndarray backend), release build.\n")
print(f"Settings: `{sys.argv[2]}`; 1,797 images, {r['n_train']} training ({r['n_train'] - round(r['n_train'] * 0.1)} fitted, 10 % validation) and {r['n_test']} test images.\n")
print("| test accuracy | goal | epochs run | weights kept from epoch | fit seconds |")
print("| --- | --- | --- | --- | --- |")
acc = r["metrics"]["accuracy"]
print(f"| {acc * 100:.2f} % | ≥ 97 % ({'met' if acc >= 0.97 else 'missed'}) | {len(h['epochs'])} | {h['best_epoch']} | {r['fit_seconds']:.1f} |")
PY
