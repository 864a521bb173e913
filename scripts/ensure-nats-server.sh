#!/usr/bin/env bash
# Makes sure a nats-server binary exists and prints its path. Installs Debian's package when it
# runs as root; otherwise stops with a one-line instruction.
#   NATS_SERVER_BIN   use this binary (fails when it is not executable)
#   NATS_SEARCH_PATH  directories to search, colon-separated ($PATH, then /usr/sbin, /usr/local/bin)
#   NATS_INSTALL      "never": do not install even as root (CI images that must not change)
set -euo pipefail

search_path="${NATS_SEARCH_PATH-$PATH:/usr/sbin:/usr/local/bin}"

find_nats() {
  if [ -n "${NATS_SERVER_BIN:-}" ]; then
    [ -x "$NATS_SERVER_BIN" ] && [ -f "$NATS_SERVER_BIN" ] && echo "$NATS_SERVER_BIN" && return 0
    echo "NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable file: fix or unset it." >&2
    exit 1
  fi
  local dir
  local IFS=:
  for dir in $search_path; do
    if [ -n "$dir" ] && [ -f "$dir/nats-server" ] && [ -x "$dir/nats-server" ]; then
      echo "$dir/nats-server"
      return 0
    fi
  done
  return 1
}

if find_nats; then exit 0; fi

if [ "$(id -u)" -eq 0 ] && [ "${NATS_INSTALL:-}" != never ] && command -v apt-get >/dev/null 2>&1; then
  echo "nats-server not found: installing Debian's nats-server package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y nats-server >&2
  # Debian puts it in /usr/sbin, whatever the search path was.
  search_path="$search_path:/usr/sbin"
  find_nats && exit 0
fi

echo "nats-server not found: install it (sudo apt-get install -y nats-server) and run again." >&2
exit 1
