#!/usr/bin/env bash
# Makes sure a Chromium binary exists for PDF reports and the browser tests, and prints its path.
# Installs Debian's chromium package (and poppler-utils, whose pdftoppm the tests use to look at
# PDF pages) when it runs as root; otherwise stops with a one-line instruction.
#   CHROMIUM_PATH     use this binary (fails when it is not executable)
#   CHROMIUM_INSTALL  "never": do not install even as root (CI images that must not change)
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -x "$CHROMIUM_PATH" ] && [ -f "$CHROMIUM_PATH" ]; then
    echo "$CHROMIUM_PATH"
    exit 0
  fi
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file: fix or unset it." >&2
  exit 1
fi

find_chromium() {
  local candidate
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -f "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

found="$(find_chromium || true)"
if [ -n "$found" ] && { [ "${CHROMIUM_INSTALL:-}" = never ] || command -v pdftoppm >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; }; then
  echo "$found"
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
