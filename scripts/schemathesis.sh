#!/usr/bin/env bash
# Runs schemathesis against a real `kiln serve` (the binary in $1, a fresh SQLite file) with
# the OpenAPI document it serves: no 5xx, and every answer's status, content type, headers
# and body as documented. A signed-in account and a project, a share and a public model in
# production give the generated requests something to find.
set -euo pipefail
cd "$(dirname "$0")/.."
KILN="$1"
SCHEMATHESIS_VENV="${KILN_TOOLS_DIR:-$HOME/.cache/kiln-tools}/schemathesis-4.32.5"
work=$(mktemp -d /tmp/kiln-schemathesis.XXXXXX)
"$KILN" serve --addr 127.0.0.1:0 --db "$work/kiln.db" --dist "$work/none" \
  --rate-per-address 0 --rate-per-token 0 >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q "running at" "$work/serve.out" && break; sleep 0.1; done
base=$(sed -n 's/^Kiln is running at //p' "$work/serve.out")
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf -X POST -H 'content-type: application/json' \
  -d '{"username":"ada","password":"s3cret-pass"}' "$base/api/auth/signup" | json "['token']")
auth=(-H "Authorization: Bearer $token" -H 'content-type: application/json')
curl -sf -X PUT "${auth[@]}" -d '{"name":"Iris","body":{"cells":[]}}' "$base/api/projects/p1" >/dev/null
curl -sf -X POST "${auth[@]}" -d '{"label":"docs"}' "$base/api/projects/p1/shares" >/dev/null
artifact=$("$KILN" train --data static/samples/iris.csv --target species --model linear \
  --out "$work/iris.kiln.json" >/dev/null && cat "$work/iris.kiln.json")
printf '{"artifact": %s, "project_id": "p1", "public": true}' "$artifact" |
  curl -sf -X POST "${auth[@]}" -d @- "$base/api/models/iris/versions" >/dev/null
curl -sf -X PUT "${auth[@]}" -d '{"stage":"production"}' "$base/api/models/iris/versions/1/stage" >/dev/null
# Logging out would end the session the run uses; it is covered by the native tests.
"$SCHEMATHESIS_VENV/bin/schemathesis" run "$base/api/openapi.json" --url "$base" \
  -H "Authorization: Bearer $token" --exclude-path /api/auth/session \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,use_after_free,ensure_resource_availability \
  --max-examples 100 --seed 1 --report-dir "$work/report"
if grep -q "panicked" "$work/serve.err"; then cat "$work/serve.err" >&2; exit 1; fi
