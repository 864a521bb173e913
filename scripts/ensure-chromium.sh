#!/usr/bin/env bash
# Makes sure a Chromium binary exists for PDF reports and the browser tests, and prints its path.
# Installs Debian's chromium package (and poppler-utils, whose pdftoppm the tests use to look at
# PDF pages) when it runs as root; otherwise stops with a one-line instruction.
#   CHROMIUM_PATH     use this binary (fails when it is not executable)
#   CHROMIUM_INSTALL  "never": do not install even as root (CI images that must not change)
set -euo pipefail

find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] && [ -f "$CHROMIUM_PATH" ] && echo "$CHROMIUM_PATH" && return 0
    echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: fix or unset it." >&2
    exit 1
  fi
  local candidate
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -f "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if find_chromium && { [ "${CHROMIUM_INSTALL:-}" = never ] || command -v pdftoppm >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; }; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && [ "${CHROMIUM_INSTALL:-}" != never ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium or pdftoppm not found: installing Debian's chromium and poppler-utils packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends chromium poppler-utils fonts-dejavu-core >&2
  find_chromium && exit 0
fi

echo "chromium not found: install it (sudo apt-get install -y chromium) and run again." >&2
exit 1
