#!/usr/bin/env bash
# Time to explain 1,000 rows of a 100-tree model: Kiln's TreeSHAP in the browser (the widget's
# JS API in headless Chromium) against shap's TreeExplainer natively on scikit-learn's forest
# of the same size fitted on the same rows. Needs dist/ (scripts/build-web.sh) and a kiln
# binary (KILN_BIN); installs shap and scikit-learn into .bench-venv.
# Usage: bash bench/explain.sh [ROWS_IN_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
KILN_BIN="${KILN_BIN:-$KILN_TARGET_DIR/debug/kiln}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x .bench-venv/bin/python ] || python3 -m venv .bench-venv
.bench-venv/bin/pip install -q "shap==0.51.0" "scikit-learn==1.9.1"
python3 bench/gen_csv.py "${1:-5000}" "$work/data.csv"
"$KILN_BIN" train --data "$work/data.csv" --target y --task classification --model forest --param n_estimators=100 \
  --seed 0 --out "$work/forest.json" > /dev/null
echo "kiln (browser): $(KILN_BIN="$KILN_BIN" node bench/browser/explain.mjs "$work/data.csv" "$work/forest.json")"
echo "shap (native):  $(.bench-venv/bin/python bench/explain.py "$work/data.csv" 1000)"
