// Target 4: the CLI starts within 1.5x `node -e 0`.
//
// `bin/sluice` answers exactly `--help` (and `-h`) from text generated at build time, without
// loading the CLI, so that row shows the shortcut, not the CLI's start-up: it is reported only.
// The target applies to commands that load the CLI: `--version`, `status --help`, and a no-op
// `status` in a small repository with the answer memo off (SLUICE_ANSWER_MEMO=0), which would
// otherwise replay a remembered answer without loading the CLI either.
import process from 'node:process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Report,
  SLUICE_BIN,
  alternate,
  freshRepo,
  git,
  makeTempDir,
  removeDir,
  run,
  sluice,
} from './lib.mjs';

const REPS = Number(process.env.BENCH_HELP_REPS ?? 15);
const TARGET = 1.5;

/** A git repository with one small tracked file and one stage, committed, status clean. */
function smallRepo() {
  const dir = makeTempDir('startup');
  freshRepo(dir, 'sluice');
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'data', 'a.txt'), 'a\n');
  writeFileSync(
    path.join(dir, 'dvc.yaml'),
    'stages:\n  copy:\n    cmd: cp data/a.txt b.txt\n    deps: [data/a.txt]\n    outs: [b.txt]\n',
  );
  sluice(['repro', '-q'], { cwd: dir });
  git(['add', '-A'], { cwd: dir });
  git(['commit', '-q', '-m', 'small repo'], { cwd: dir });
  const status = sluice(['status'], { cwd: dir, env: { SLUICE_ANSWER_MEMO: '0' } });
  if (!/up to date/i.test(status.stdout + status.stderr)) {
    throw new Error(`the small repository is not clean: ${status.stdout.trim()}`);
  }
  return dir;
}

function main() {
  const report = new Report('help', 'start-up time');
  report.params = { reps: REPS };
  let repo;
  try {
    repo = smallRepo();
    const memoOff = { SLUICE_ANSWER_MEMO: '0' };
    const sides = [
      ['node', () => run(process.execPath, ['-e', '0']).seconds],
      ['--help', () => run(process.execPath, [SLUICE_BIN, '--help']).seconds],
      ['--version', () => run(process.execPath, [SLUICE_BIN, '--version']).seconds],
      [
        'status --help',
        () => run(process.execPath, [SLUICE_BIN, 'status', '--help'], { cwd: repo }).seconds,
      ],
      [
        'status',
        () => run(process.execPath, [SLUICE_BIN, 'status'], { cwd: repo, env: memoOff }).seconds,
      ],
    ];
    const runs = alternate(
      sides.map(([, fn]) => fn),
      REPS,
      { warmup: 3 },
    );
    const nodeRuns = runs[0];
    const against = { referenceLabel: '`node -e 0`', referenceRuns: nodeRuns };
    report.compare({
      measure: '`sluice --help` (pre-generated text, CLI not loaded)',
      sluiceRuns: runs[1],
      ...against,
      note: 'bin/sluice prints the help text generated at build time for exactly `--help`/`-h`; this is the shortcut, not start-up, so no target applies',
    });
    report.compare({
      measure: '`sluice --version`',
      sluiceRuns: runs[2],
      ...against,
      target: TARGET,
    });
    report.compare({
      measure: '`sluice status --help`',
      sluiceRuns: runs[3],
      ...against,
      target: TARGET,
    });
    report.compare({
      measure: 'no-op `sluice status`, small repo, answer memo off',
      sluiceRuns: runs[4],
      ...against,
      target: TARGET,
      note: 'SLUICE_ANSWER_MEMO=0; one tracked file and one stage, all up to date',
    });
  } catch (err) {
    report.error('start-up', err);
  } finally {
    if (repo) removeDir(repo);
  }
  process.exitCode = report.finish();
}

main();
