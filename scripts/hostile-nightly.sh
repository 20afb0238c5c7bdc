#!/usr/bin/env bash
# The hostile-repository suite (test/reliability/hostileRepo.test.ts) at nightly scale:
# thousands of generated cases, a new seed each day unless one is given. Each case runs in its
# own temporary sandbox (HOME, TMPDIR and every path it may touch inside it).
#
#   scripts/hostile-nightly.sh                 # seed = today's date, 3000 cases
#   SLUICE_HOSTILE_SEED=7 SLUICE_HOSTILE_RUNS=10000 scripts/hostile-nightly.sh
#   SLUICE_HOSTILE_SURVEY=1 scripts/hostile-nightly.sh   # log every failing case, do not stop
set -euo pipefail
cd "$(dirname "$0")/.."
export SLUICE_HOSTILE_SEED="${SLUICE_HOSTILE_SEED:-$(date +%Y%m%d)}"
export SLUICE_HOSTILE_RUNS="${SLUICE_HOSTILE_RUNS:-3000}"
export SLUICE_HOSTILE_SHRINKS="${SLUICE_HOSTILE_SHRINKS:-200}"
if [ ! -f dist/cli/sluice.mjs ]; then npm run build; fi
echo "hostile-nightly: seed ${SLUICE_HOSTILE_SEED}, ${SLUICE_HOSTILE_RUNS} cases," \
  "${SLUICE_HOSTILE_JOBS:-2} at once"
exec npx vitest run test/reliability/hostileRepo.test.ts
