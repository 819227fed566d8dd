#!/usr/bin/env bash
# Every check Kiln has, in the order a failure is cheapest to find: formatting, clippy (native
# and wasm), native tests, the web build, then the browser tests against a real `kiln serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

NATIVE=(-p kiln-engine -p kiln-protocol -p kiln-sync -p kiln-cli --features kiln-cli/gpu)
WASM=(-p kiln-app -p kiln-worker -p kiln-widget -p kiln-engine -p kiln-protocol --target wasm32-unknown-unknown)

step "cargo fmt"
cargo fmt --all -- --check
step "clippy (native)"
cargo clippy "${NATIVE[@]}" --all-targets -- -D warnings
step "clippy (wasm: no threads, sleeping, Instant, std::fs or blocking receives)"
CLIPPY_CONF_DIR="$KILN_ROOT/scripts/clippy_wasm" cargo clippy "${WASM[@]}" -- -D warnings
step "native tests (SQLite, and PostgreSQL on a throwaway server)"
source scripts/postgres.sh
trap kiln_pg_stop EXIT
KILN_REQUIRE_POSTGRES=1 cargo test "${NATIVE[@]}"
step "web build"
scripts/build-web.sh
step "kiln binary for browser tests"
cargo build -p kiln-cli --features gpu
step "sync API against its OpenAPI document (schemathesis)"
scripts/schemathesis.sh "$KILN_TARGET_DIR/debug/kiln"
step "browser tests (Chromium + Playwright)"
KILN_BIN="$KILN_TARGET_DIR/debug/kiln" KILN_DIST="$KILN_ROOT/dist" node --test --test-concurrency=1 e2e/
