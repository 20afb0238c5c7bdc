#!/usr/bin/env node
// Push then pull to a local-folder remote, sluice vs real DVC, and `status -c` with everything
// pushed (the scenario is in remote-lib.mjs). Sizes: SMALL_FILES (default 10000 files of 4 KiB)
// and BIG_MIB (default 1024), both scaled by BENCH_SCALE.
// Usage: node bench/remote-local.mjs   (needs `npm run build` and scripts/ensure-tools.sh)
import process from 'node:process';
import path from 'node:path';
import { dvc, makeTempDir, removeDir, sluice } from './lib.mjs';
import { runRemoteBench } from './remote-lib.mjs';

const storageRoot = makeTempDir('remote-local-storage');
const TOOLS = { sluice, dvc };
const storage = (tool, tag) => path.join(storageRoot, `${tool}-${tag}`);

try {
  const report = await runRemoteBench({
    name: 'remote-local',
    title: 'push, pull and status -c with a local-folder remote',
    label: 'a local folder',
    setup(tool, repo, tag) {
      TOOLS[tool](['remote', 'add', '-d', 'r', storage(tool, tag)], { cwd: repo });
    },
    clear(label, rep) {
      for (const tool of Object.keys(TOOLS)) removeDir(storage(tool, `${label}-${rep}`));
    },
  });
  process.exitCode = report.finish();
} finally {
  removeDir(storageRoot);
}
