#!/usr/bin/env bash
# Installs what the test suite needs, only when it is missing (versions pinned to those tested):
#   - git (Debian package)
#   - real DVC 3.x from PyPI, in a virtual environment (the compatibility oracle), with its
#     s3 and ssh extras for the remote interop tests
# Everything lands in $SLUICE_TOOLS_DIR (default ~/.cache/sluice-tools), so a second run is instant.
set -euo pipefail

TOOLS_DIR="${SLUICE_TOOLS_DIR:-$HOME/.cache/sluice-tools}"
mkdir -p "$TOOLS_DIR"

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v git >/dev/null 2>&1; then
  echo "ensure-tools: installing git"
  apt_install git
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "ensure-tools: installing python3"
  apt_install python3 python3-venv
fi

DVC="$TOOLS_DIR/dvc-venv/bin/dvc"
if ! "$DVC" --version >/dev/null 2>&1; then
  echo "ensure-tools: installing DVC 3.x into $TOOLS_DIR/dvc-venv"
  rm -rf "$TOOLS_DIR/dvc-venv"
  python3 -m venv "$TOOLS_DIR/dvc-venv" || { apt_install python3-venv; python3 -m venv "$TOOLS_DIR/dvc-venv"; }
  "$TOOLS_DIR/dvc-venv/bin/pip" install -q --disable-pip-version-check 'dvc==3.67.1'
fi
# The interop tests push and pull through MinIO and sshd with real DVC, which needs its extras.
if ! "$TOOLS_DIR/dvc-venv/bin/python" -c 'import dvc_s3, dvc_ssh' >/dev/null 2>&1; then
  echo "ensure-tools: installing DVC's s3 and ssh extras"
  "$TOOLS_DIR/dvc-venv/bin/pip" install -q --disable-pip-version-check 'dvc[s3,ssh]==3.67.1'
fi
echo "ensure-tools: dvc $("$DVC" --version)"

# git needs an identity for the temporary repositories the tests commit in.
if [ -z "$(git config --global user.email || true)" ]; then
  git config --global user.email "sluice-tests@localhost"
  git config --global user.name "Sluice Tests"
fi

bash "$(dirname "$0")/ensure-servers.sh"
bash "$(dirname "$0")/ensure-browser.sh"
