# Sourced by the build scripts: puts the pinned tools first on PATH.
KILN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$KILN_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export KILN_TARGET_DIR="${CARGO_TARGET_DIR:-$KILN_ROOT/target}"
