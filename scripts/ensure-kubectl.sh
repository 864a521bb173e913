#!/usr/bin/env bash
# Makes sure a kubectl (with its built-in kustomize) exists and prints its path: the tests build
# the k8s/ overlays with `kubectl kustomize`, offline. Installs Debian's kubernetes-client when it
# runs as root and none is found; otherwise stops with a one-line instruction. The overlays are
# spelled for the kustomize of Debian's kubectl (1.20, kustomize v2.0.3) as well as for newer ones.
#   KUBECTL_INSTALL  "never": do not install even as root
set -euo pipefail

if command -v kubectl >/dev/null 2>&1 && kubectl version --client >/dev/null 2>&1; then
  command -v kubectl
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && [ "${KUBECTL_INSTALL:-}" != never ] && command -v apt-get >/dev/null 2>&1; then
  echo "kubectl not found: installing Debian's kubernetes-client package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y kubernetes-client >&2
  command -v kubectl && exit 0
fi

echo "kubectl not found: install it (sudo apt-get install -y kubernetes-client) and run again." >&2
exit 1
