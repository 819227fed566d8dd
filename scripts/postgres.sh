#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests (Debian's `postgresql` package, installed
# by setup.sh) on a free port of 127.0.0.1, with its data in a temporary folder, and exports
# KILN_TEST_POSTGRES_URL. Source it; `kiln_pg_stop` stops it and removes the folder (test.sh
# calls it on exit). PostgreSQL refuses to run as root, so as root it runs as `postgres`.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "PostgreSQL server binaries are missing; run scripts/setup.sh" >&2
  return 1
fi
KILN_PG_DIR=$(mktemp -d /tmp/kiln-pg.XXXXXX)
KILN_PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$(id -u)" = 0 ]; then
  chown postgres "$KILN_PG_DIR"
  kiln_pg() { runuser -u postgres -- "$@"; }
else
  kiln_pg() { "$@"; }
fi
kiln_pg "$PG_BIN/initdb" -D "$KILN_PG_DIR/data" -A trust -U kiln -E UTF8 >"$KILN_PG_DIR/initdb.log" 2>&1 ||
  { cat "$KILN_PG_DIR/initdb.log" >&2; return 1; }
kiln_pg "$PG_BIN/pg_ctl" -D "$KILN_PG_DIR/data" -l "$KILN_PG_DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $KILN_PG_PORT -k $KILN_PG_DIR -c max_connections=300" start >/dev/null ||
  { cat "$KILN_PG_DIR/server.log" >&2; return 1; }
export KILN_TEST_POSTGRES_URL="postgres://kiln@127.0.0.1:$KILN_PG_PORT/postgres"
kiln_pg_stop() {
  kiln_pg "$PG_BIN/pg_ctl" -D "$KILN_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$KILN_PG_DIR"
}
