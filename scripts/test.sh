#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, build, lint, type check, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."

export DVC_NO_ANALYTICS=1
export AWS_EC2_METADATA_DISABLED=true
export METADATA_SERVER_DETECTION=none
export GCE_METADATA_HOST=127.0.0.1:9

bash scripts/ensure-tools.sh
npm ci --no-audit --no-fund
npm run build
npm run typecheck
npm run lint
npx vitest run
