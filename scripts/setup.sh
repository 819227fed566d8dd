#!/usr/bin/env bash
# Installs whatever Kiln's build and tests need and is missing on this machine (Debian):
# the wasm32 target, pinned trunk and wasm-bindgen-cli, npm packages (wasm-opt from binaryen,
# playwright-core), Debian's Chromium for browser tests and PostgreSQL's server for the sync
# store's tests. Safe to run again: it only
# installs what is missing or at the wrong version.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is not installed: install rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian packages (nodejs/npm, chromium)"
  as_root apt-get update -q
  pkgs="chromium chromium-driver"
  command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs
fi

# PostgreSQL's server: the sync service's PostgreSQL store is tested against a real one.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing PostgreSQL (the tests start a throwaway server)"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
fi

# Mesa's Vulkan drivers give native wgpu a software adapter (llvmpipe), so `kiln train
# --device gpu` and its test run on machines without a GPU.
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  say "installing Mesa's Vulkan drivers (a software GPU adapter for wgpu)"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q mesa-vulkan-drivers
fi

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
  { say "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }
for c in clippy rustfmt; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock.
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $BINDGEN_VERSION"
  # Not --locked: its lockfile pins a crate version the registry may not carry.
  cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION"
fi

# schemathesis (PyPI) checks the sync API against its OpenAPI document; kept in a virtualenv
# outside the clone.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV="${KILN_TOOLS_DIR:-$HOME/.cache/kiln-tools}/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$SCHEMATHESIS_VENV/bin/schemathesis" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m venv "$SCHEMATHESIS_VENV"
  "$SCHEMATHESIS_VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (binaryen's wasm-opt, playwright-core)"
  npm ci --no-audit --no-fund
fi
