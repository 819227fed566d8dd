#!/usr/bin/env bash
# Runs the benchmarks and writes their results under bench/results/. Not part of `make test`:
# speed is measured here, against peers, never asserted in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .bench-venv
.bench-venv/bin/pip install -q scikit-learn pandas pyarrow polars
cargo build --release -p kiln-cli --features nn
mkdir -p bench/results
.bench-venv/bin/python bench/models.py "${CARGO_TARGET_DIR:-target}/release/kiln" bench/results/models.md
.bench-venv/bin/python bench/nn.py "${CARGO_TARGET_DIR:-target}/release/kiln" bench/results/nn.md
bash bench/parse.sh bench/results/parse.md
