#!/usr/bin/env bash
# Neural-network training speed in one headless Chromium page: TensorFlow.js (wasm and webgpu
# backends) against the studio's engine worker (device cpu and gpu), same network, same rows,
# fixed epochs (bench/browser/nn.mjs), on digits and a 25k x 50 synthetic table written by
# `bench/nn.py --export`. Needs dist/ (`bash scripts/build-web.sh`), Debian's Chromium and the
# bench venv (bench/run.sh makes it). Not part of `make test`.
#
# Usage: bash bench/browser/run-nn.sh [OUT.md]    (epochs and pairs: see the env in nn.mjs)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-}"
if [ ! -f "${KILN_DIST:-dist}/index.html" ]; then
  echo "no studio in ${KILN_DIST:-dist}/: build it with \`bash scripts/build-web.sh\`" >&2
  exit 1
fi
(cd bench/browser && npm ci --no-audit --no-fund --silent)
cargo build --release -p kiln-cli --features nn
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
.bench-venv/bin/python bench/nn.py --export digits "$tmp/digits.csv"
.bench-venv/bin/python bench/nn.py --export wide_class_25k "$tmp/wide.csv"
node bench/browser/nn.mjs "$tmp/digits.csv" "$tmp/wide.csv" | if [ -n "$out" ]; then tee "$out"; else cat; fi
