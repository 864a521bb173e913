#!/usr/bin/env bash
# Makes sure a nats-server binary exists and prints its path. Installs Debian's package when it
# runs as root; otherwise stops with a one-line instruction.
set -euo pipefail

find_nats() {
  command -v nats-server 2>/dev/null && return 0
  [ -x /usr/sbin/nats-server ] && echo /usr/sbin/nats-server && return 0
  return 1
}

if find_nats; then exit 0; fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "nats-server not found: installing Debian's nats-server package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y nats-server >&2
  find_nats && exit 0
fi

echo "nats-server not found: install it (sudo apt-get install -y nats-server) and run again." >&2
exit 1
