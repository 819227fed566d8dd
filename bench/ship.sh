#!/usr/bin/env bash
# Shipping figures: the widget's download (gzip -9 of what a page loads to embed a tabular
# model) next to onnxruntime-web's, time to first prediction of <kiln-predict> after the model
# has arrived, and batch scoring in the studio against `kiln predict` natively and
# scikit-learn's HistGradientBoostingClassifier.predict_proba (pandas reading the same CSV).
# Needs dist/ (scripts/build-web.sh); builds `kiln` in release (KILN_BIN overrides it) and
# installs pinned scikit-learn and pandas into .bench-venv.
# Usage: bash bench/ship.sh [ROWS_TO_SCORE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
if [ -z "${KILN_BIN:-}" ]; then
  cargo build --release -p kiln-cli
  KILN_BIN="$KILN_TARGET_DIR/release/kiln"
fi
ROWS="${1:-200000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== download (gzip -9 bytes)"
total=0
for f in embed.js kiln.js kiln-widget.js kiln-widget_bg.wasm; do
  n=$(gzip -9c "dist/$f" | wc -c)
  total=$((total + n))
  printf '  %-24s %8d raw %8d gzip\n' "$f" "$(stat -c %s "dist/$f")" "$n"
done
echo "  kiln total (gzip):       $total"
for f in node_modules/onnxruntime-web/dist/ort.wasm.min.mjs node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm; do
  [ -f "$f" ] && printf '  %-60s %8d gzip\n' "$f" "$(gzip -9c "$f" | wc -c)"
done

[ -x .bench-venv/bin/python ] || python3 -m venv .bench-venv
.bench-venv/bin/pip install -q "scikit-learn==1.9.1" "pandas==3.1.1"
python3 bench/gen_csv.py 20000 "$work/train.csv"
python3 bench/gen_csv.py "$ROWS" "$work/score.csv"
"$KILN_BIN" train --data "$work/train.csv" --target y --task classification --model gbdt --seed 0 \
  --out "$work/gbdt.json" > /dev/null

echo "== browser (first prediction after the model arrived; batch scoring in the studio)"
TRAIN="$work/train.csv" KILN_BIN="$KILN_BIN" node bench/browser/ship.mjs "$work/gbdt.json" "$work/score.csv"

echo "== kiln predict (native, one thread)"
start=$(date +%s.%N)
"$KILN_BIN" predict --model "$work/gbdt.json" --data "$work/score.csv" --out "$work/scored.csv"
end=$(date +%s.%N)
python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print(f'  {int(sys.argv[3])} rows in {s:.2f} s ({int(sys.argv[3])/s:,.0f} rows/s)')" "$start" "$end" "$ROWS"

echo "== scikit-learn HistGradientBoostingClassifier (100 iterations), pandas read + predict_proba"
.bench-venv/bin/python - "$work/train.csv" "$work/score.csv" <<'PY'
import sys, time
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
train = pd.read_csv(sys.argv[1])
model = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)
model.fit(train.drop(columns="y"), train["y"])
t = time.perf_counter()
score = pd.read_csv(sys.argv[2])
p = model.predict_proba(score.drop(columns="y"))
s = time.perf_counter() - t
print(f"  {len(score)} rows in {s:.2f} s ({len(score)/s:,.0f} rows/s; threads as scikit-learn chooses)")
PY
