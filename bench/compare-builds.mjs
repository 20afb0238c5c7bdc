// A before/after check of one change: the no-op `status` of a folder of many small files, timed
// with two builds of Sluice turn about on the same repository (memo off, then memo on).
//
//   git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci && npm run build)
//   node bench/compare-builds.mjs --before /tmp/before [--files 100000] [--reps 9]
//
// It prints each side's median and the ratio after/before; it writes no doc (docs/benchmarks.md
// comes from run-all.mjs), and is for the closing note of a change that may cost speed.
import path from 'node:path';
import process from 'node:process';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  ROOT,
  alternate,
  fmtS,
  freshRepo,
  git,
  makeTempDir,
  median,
  removeDir,
  run,
} from './lib.mjs';

function parseArgs(argv) {
  const opts = { before: undefined, files: 100000, reps: 9 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--before') opts.before = path.resolve(argv[++i]);
    else if (a === '--files') opts.files = Number(argv[++i]);
    else if (a === '--reps') opts.reps = Number(argv[++i]);
    else throw new Error(`unknown argument ${a} (known: --before DIR --files N --reps N)`);
  }
  if (opts.before === undefined) throw new Error('--before DIR (a built checkout) is required');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const builds = {
  before: path.join(opts.before, 'bin', 'sluice'),
  after: path.join(ROOT, 'bin', 'sluice'),
};
const dir = makeTempDir('compare');
try {
  freshRepo(dir, 'sluice');
  for (let i = 0; i < opts.files; i++) {
    const sub = path.join(dir, 'data', String(i % 100));
    if (i < 100) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${i}.txt`), `file ${i}\n`);
  }
  run(process.execPath, [builds.after, 'add', '-q', 'data'], { cwd: dir });
  git(['add', '-A'], { cwd: dir });
  git(['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'data'], { cwd: dir });
  const timed = (bin, env) => () => {
    const start = process.hrtime.bigint();
    run(process.execPath, [bin, 'status'], { cwd: dir, env });
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  console.log(`no-op status of ${opts.files} files, ${opts.reps} rounds, builds turn about:`);
  for (const [label, env] of [
    ['memo off', { SLUICE_ANSWER_MEMO: '0' }],
    ['memo on', {}],
  ]) {
    // Two warm-up rounds each: the first run of a build records its answer, the second replays.
    const [before, after] = alternate(
      [timed(builds.before, env), timed(builds.after, env)],
      opts.reps,
      {
        warmup: 2,
      },
    );
    const ratio = median(after) / median(before);
    console.log(
      `${label}: before ${fmtS(median(before))} s, after ${fmtS(median(after))} s, after/before ${ratio.toFixed(2)}`,
    );
  }
} finally {
  removeDir(dir);
}
