#!/usr/bin/env bash
# Installs what is missing, builds the studio and runs `kiln serve` on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
scripts/build-web.sh
cargo build --release -p kiln-cli
exec "$KILN_TARGET_DIR/release/kiln" serve --addr "${KILN_ADDR:-127.0.0.1:8080}" --db "${KILN_DB:-kiln.db}" --dist dist
