#!/usr/bin/env bash
# Load on the sync service over loopback with wrk (Debian's package, installed if missing):
# authenticated project reads, registry reads and writes, public model reads (what every
# embed fetches) and project writes, against a release `kiln serve` on SQLite (and on
# PostgreSQL when KILN_TEST_POSTGRES_URL is set, as scripts/postgres.sh sets it), with rate
# limits off. The peer is MLflow's tracking server (PyPI `mlflow`, pinned, installed into a
# virtualenv outside the clone) on SQLite with its default workers, for the same registry
# read and write. Prints requests/s and p50/p99 latency per case as a Markdown table.
#   bash bench/sync/load.sh [OUT.md]      (DURATION=10s CONNECTIONS=32 THREADS=1)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/dev/stdout}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
command -v wrk >/dev/null || { apt-get install -y -q wrk || sudo apt-get install -y -q wrk; }
source scripts/env.sh
cargo build --release -q -p kiln-cli
KILN="$KILN_TARGET_DIR/release/kiln"
work=$(mktemp -d /tmp/kiln-load.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# Runs wrk and prints "req/s | p50 | p99" from its --latency report.
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" >"$work/wrk.txt"
  python3 - "$work/wrk.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
lat = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", text, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{float(rps):,.0f} | {lat['50']} | {lat['99']} | {errors.group(1) if errors else 0}")
PY
}

run_backend() {
  local backend=$1; shift
  "$KILN" serve --addr 127.0.0.1:0 --db "$work/$backend.db" --dist "$work/none" \
    --rate-per-address 0 --rate-per-token 0 "$@" >"$work/serve.out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q "running at" "$work/serve.out" && break; sleep 0.1; done
  local base; base=$(sed -n 's/^Kiln is running at //p' "$work/serve.out")
  local token; token=$(curl -sf -X POST -H 'content-type: application/json' \
    -d '{"username":"ada","password":"s3cret-pass"}' "$base/api/auth/signup" | json "['token']")
  local auth=(-H "Authorization: Bearer $token")
  curl -sf -X PUT "${auth[@]}" -H 'content-type: application/json' \
    -d '{"name":"Load","body":{"cells":[1,2,3,4,5,6,7,8]}}' "$base/api/projects/p1" >/dev/null
  "$KILN" train --data static/samples/iris.csv --target species --model gbdt \
    --out "$work/iris.kiln.json" >/dev/null
  local public; public=$(printf '{"artifact": %s, "public": true}' "$(cat "$work/iris.kiln.json")" |
    curl -sf -X POST "${auth[@]}" -H 'content-type: application/json' -d @- \
      "$base/api/models/iris/versions" | json "['public_path']")
  local size; size=$(stat -c %s "$work/iris.kiln.json")
  echo "| Kiln, $backend | read a project (GET /api/projects/p1, bearer token) | $(measure "${auth[@]}" "$base/api/projects/p1") |"
  echo "| Kiln, $backend | read a public model ($((size / 1024)) KiB, no auth) | $(measure "$base$public") |"
  echo "| Kiln, $backend | write a project (PUT, If-Match: *) | $(measure "${auth[@]}" -s bench/sync/put.lua "$base/api/projects/p1") |"
  echo "| Kiln, $backend | registry read (GET /api/models/iris) | $(measure "${auth[@]}" "$base/api/models/iris") |"
  echo "| Kiln, $backend | registry write (PUT /api/models/iris/public) | $(METHOD=PUT BODY='{"public":true}' measure "${auth[@]}" -s bench/sync/post.lua "$base/api/models/iris/public") |"
  kill $pid; wait $pid 2>/dev/null || true; pid=
}

MLFLOW_VERSION=3.17.2
MLFLOW_VENV="${KILN_TOOLS_DIR:-$HOME/.cache/kiln-tools}/mlflow-$MLFLOW_VERSION"
run_mlflow() {
  if [ ! -x "$MLFLOW_VENV/bin/mlflow" ]; then
    python3 -m venv "$MLFLOW_VENV" && "$MLFLOW_VENV/bin/pip" install -q "mlflow==$MLFLOW_VERSION"
  fi
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$MLFLOW_VENV/bin/mlflow" server --backend-store-uri "sqlite:///$work/mlflow.db" \
    --host 127.0.0.1 --port "$port" >"$work/mlflow.log" 2>&1 &
  pid=$!
  local base="http://127.0.0.1:$port"
  for _ in $(seq 120); do curl -sf "$base/health" >/dev/null && break; sleep 0.5; done
  curl -sf -X POST -H 'content-type: application/json' -d '{"name":"iris"}' \
    "$base/api/2.0/mlflow/registered-models/create" >/dev/null
  echo "| MLflow $MLFLOW_VERSION, sqlite | registry read (GET registered-models/get) | $(measure "$base/api/2.0/mlflow/registered-models/get?name=iris") |"
  echo "| MLflow $MLFLOW_VERSION, sqlite | registry write (POST registered-models/set-tag) | $(BODY='{"name":"iris","key":"k","value":"v"}' measure -s bench/sync/post.lua "$base/api/2.0/mlflow/registered-models/set-tag") |"
  pkill -P $pid 2>/dev/null || true; kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; pid=
}

{
  echo "Sync service under load: wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), $THREADS thread(s), $CONNECTIONS connections, $DURATION per case, on loopback; server and load generator share this machine ($(nproc) cores, $(date -u +%Y-%m-%d))."
  echo
  echo "| server, storage | case | requests/s | p50 | p99 | non-2xx |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  run_backend sqlite
  if [ -n "${KILN_TEST_POSTGRES_URL:-}" ]; then
    run_backend postgres --database-url "$KILN_TEST_POSTGRES_URL"
  fi
  run_mlflow
} >"$OUT"
