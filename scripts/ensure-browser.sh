#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests of `sluice ui` (driven by playwright-core),
# only when /usr/bin/chromium is missing. The tests never download a browser of their own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "ensure-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium present)"
  exit 0
fi
echo "ensure-browser: installing chromium (Debian package)"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "ensure-browser: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
