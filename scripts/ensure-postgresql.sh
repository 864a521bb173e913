#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs (initdb, pg_ctl, postgres) exist and prints the folder
# that holds them; the SQL source tests start their own server from it. Installs Debian's
# postgresql package when it runs as root; otherwise stops with a one-line instruction.
#   PG_BIN_DIR        use this folder (fails when it has no initdb)
#   POSTGRES_INSTALL  "never": do not install even as root (CI images that must not change)
set -euo pipefail

if [ -n "${PG_BIN_DIR:-}" ]; then
  if [ -x "$PG_BIN_DIR/initdb" ] && [ -x "$PG_BIN_DIR/pg_ctl" ]; then
    echo "$PG_BIN_DIR"
    exit 0
  fi
  echo "PG_BIN_DIR=$PG_BIN_DIR has no initdb and pg_ctl: fix or unset it." >&2
  exit 1
fi

find_postgres() {
  local dir
  # Debian keeps the server programs per major version, newest last in the sort.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  local initdb
  initdb="$(command -v initdb || true)"
  if [ -n "$initdb" ] && [ -x "$(dirname "$initdb")/pg_ctl" ]; then
    dirname "$(readlink -f "$initdb")"
    return 0
  fi
  return 1
}

if find_postgres; then exit 0; fi

if [ "$(id -u)" -eq 0 ] && [ "${POSTGRES_INSTALL:-}" != never ] && command -v apt-get >/dev/null 2>&1; then
  echo "PostgreSQL not found: installing Debian's postgresql package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
  find_postgres && exit 0
fi

echo "PostgreSQL not found: install it (sudo apt-get install -y postgresql) and run again." >&2
exit 1
