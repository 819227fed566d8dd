#!/usr/bin/env bash
# Native CSV parse speed: Kiln's engine (`engine/examples/parse_speed.rs`) vs pandas, pyarrow
# and polars, on a generated 100k x 21 and 1M x 21 numeric CSV (bench/gen_csv.py). Prints a
# markdown table; with an argument, also writes it to that file. Not part of `make test`.
#
# Usage: bash bench/parse.sh [OUT.md]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-}"
python3 -m venv .bench-venv
.bench-venv/bin/pip install -q pandas pyarrow polars
cargo build --release -p kiln-engine --example parse_speed
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_csv.py 100000 "$tmp/rows-100k.csv"
python3 bench/gen_csv.py 1000000 "$tmp/rows-1m.csv"
{
  echo "# CSV parse speed, native: Kiln vs pandas, pyarrow, polars"
  echo
  .bench-venv/bin/python bench/parse.py "${CARGO_TARGET_DIR:-target}/release/examples/parse_speed" \
    "$tmp/rows-100k.csv" "$tmp/rows-1m.csv"
} | if [ -n "$out" ]; then tee "$out"; else cat; fi
