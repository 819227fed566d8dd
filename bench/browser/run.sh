#!/usr/bin/env bash
# Browser data loading: Kiln's engine worker vs DuckDB-wasm in the same headless Chromium, on
# a generated 100k x 21 numeric CSV (bench/gen_csv.py). Needs a built studio in dist/
# (`bash scripts/build-web.sh`) and Debian's Chromium. Prints a markdown table; with an
# argument, also writes it to that file. Not part of `make test`.
#
# Usage: bash bench/browser/run.sh [OUT.md]      (RUNS=5 for more runs; --duckdb-only via ARGS)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-}"
if [ ! -f "${KILN_DIST:-dist}/index.html" ]; then
  echo "no studio in ${KILN_DIST:-dist}/: build it with \`bash scripts/build-web.sh\`" >&2
  exit 1
fi
(cd bench/browser && npm ci --no-audit --no-fund --silent)
cargo build --release -p kiln-cli
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 bench/gen_csv.py 100000 "$tmp/bench.csv"
node bench/browser/parse.mjs "$tmp/bench.csv" ${ARGS:-} | if [ -n "$out" ]; then tee "$out"; else cat; fi
