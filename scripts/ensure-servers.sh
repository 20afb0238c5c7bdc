#!/usr/bin/env bash
# Installs the real servers the remote-storage tests start on 127.0.0.1, only when missing:
#   - MinIO (S3), built with `go install` from the Go module proxy
#   - fake-gcs-server (GCS), built the same way
#   - OpenSSH server + client (SSH/SFTP) and Apache 2 with mod_dav (WebDAV/HTTP), Debian packages
# Azurite (Azure) comes from node_modules. Go binaries land in $SLUICE_TOOLS_DIR/bin (default
# ~/.cache/sluice-tools/bin), so a second run is instant. The first MinIO build takes minutes.
set -euo pipefail

TOOLS_DIR="${SLUICE_TOOLS_DIR:-$HOME/.cache/sluice-tools}"
BIN_DIR="$TOOLS_DIR/bin"
mkdir -p "$BIN_DIR"

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

go_install() { # name module
  local name="$1" module="$2"
  if [ -x "$BIN_DIR/$name" ]; then
    return
  fi
  if ! command -v go >/dev/null 2>&1; then
    if [ -x /usr/local/go/bin/go ]; then
      export PATH="/usr/local/go/bin:$PATH"
    else
      echo "ensure-servers: Go is needed to build $name (install it, then rerun)" >&2
      exit 1
    fi
  fi
  echo "ensure-servers: building $name with go install (once; may take several minutes)"
  local started=$SECONDS
  # Outside any module, so the project's folder never matters; CGO off gives a static binary.
  (cd / && CGO_ENABLED=0 GOBIN="$BIN_DIR" GOFLAGS=-trimpath go install "$module")
  echo "ensure-servers: $name built in $((SECONDS - started))s"
}

# Pinned to the versions the tests were written against, so a new release cannot break a fresh
# machine's build.
go_install minio github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
go_install fake-gcs-server github.com/fsouza/fake-gcs-server@v1.56.1

need_apt=()
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
[ -x /usr/sbin/apache2 ] || need_apt+=(apache2)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "ensure-servers: installing ${need_apt[*]}"
  apt_install "${need_apt[@]}"
  # The packages start system services on :22 and :80; the tests run their own instances.
  if [[ " ${need_apt[*]} " == *" apache2 "* ]]; then
    service apache2 stop >/dev/null 2>&1 || true
  fi
  if [[ " ${need_apt[*]} " == *" openssh-server "* ]]; then
    service ssh stop >/dev/null 2>&1 || true
  fi
fi

echo "ensure-servers: minio, fake-gcs-server, sshd, apache2 ready"
