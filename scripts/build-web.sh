#!/usr/bin/env bash
# Builds the studio, its worker and the widget into dist/ with trunk (release, offline).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$KILN_ROOT"
trunk build --config Trunk.toml
ls -l dist/*.wasm | awk '{ printf "  %-40s %8.1f KB\n", $9, $5 / 1024 }'
