// `metrics show -A` over 200 commits: Sluice at most 0.2x the time of `dvc metrics show -A`.
// One repository (a dvc.yaml with a metrics file kept in git, plus a top-level metrics file),
// 200 commits each changing the metrics; both tools read it and must print the same JSON.
import process from 'node:process';
import console from 'node:console';
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Report, dvc, git, makeTempDir, median, removeDir, run } from './lib.mjs';

const COMMITS = Number(process.env.BENCH_COMMITS ?? 200);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const DVC_REPS = Number(process.env.BENCH_DVC_REPS ?? 1);

const report = new Report('metrics-show', 'metrics show -A over many commits');
report.params = { commits: COMMITS, reps: REPS, dvcReps: DVC_REPS };

const dir = process.env.BENCH_KEEP_DIR ?? makeTempDir('metrics');
try {
  git(['init', '-q', '-b', 'main', dir]);
  git(['config', 'gc.auto', '0'], { cwd: dir });
  dvc(['init', '-q'], { cwd: dir });
  dvc(['config', 'core.check_update', 'false'], { cwd: dir });
  writeFileSync(
    path.join(dir, 'dvc.yaml'),
    'stages:\n  train:\n    cmd: echo\n    metrics:\n    - scores.json:\n        cache: false\nmetrics:\n- summary.yaml\n',
  );
  // Commits through one fast-import stream: 200 `git commit` calls would dominate the setup.
  let stream = '';
  const blob = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const dvcYaml = `stages:\n  train:\n    cmd: echo\n    metrics:\n    - scores.json:\n        cache: false\nmetrics:\n- summary.yaml\n`;
  git(['add', '-A'], { cwd: dir });
  git(['commit', '-q', '-m', 'init'], { cwd: dir });
  for (let i = 1; i <= COMMITS; i++) {
    const scores = JSON.stringify({
      acc: 0.5 + i / (COMMITS * 4),
      loss: 1 / i,
      epoch: i,
      nested: { f1: i / 1000 },
    });
    const summary = `step: ${i}\nlr: ${(0.1 / i).toFixed(6)}\n`;
    stream += `commit refs/heads/main\ncommitter bench <bench@example.com> ${1700000000 + i} +0000\n`;
    stream += blob(`commit ${i}`);
    if (i === 1) stream += `from refs/heads/main^0\n`;
    stream += `M 100644 inline dvc.yaml\n${blob(dvcYaml)}`;
    stream += `M 100644 inline scores.json\n${blob(scores)}`;
    stream += `M 100644 inline summary.yaml\n${blob(summary)}\n`;
  }
  run('git', ['fast-import', '--quiet'], { cwd: dir, input: stream });
  git(['reset', '-q', '--hard', 'main'], { cwd: dir });

  const args = ['metrics', 'show', '-A', '--json'];
  const sluiceRuns = [];
  let sluiceOut = '';
  for (let r = 0; r < REPS; r++) {
    const res = run(
      process.execPath,
      [path.join(import.meta.dirname, '..', 'bin', 'sluice'), ...args],
      { cwd: dir },
    );
    sluiceRuns.push(res.seconds);
    sluiceOut = res.stdout;
  }
  const dvcRuns = [];
  let dvcOut = '';
  for (let r = 0; r < DVC_REPS; r++) {
    const res = dvc(args, { cwd: dir });
    dvcRuns.push(res.seconds);
    dvcOut = res.stdout;
  }
  // Error messages name each tool's own layers; the error types and all values must match.
  const norm = (text) => JSON.stringify(JSON.parse(text), (k, v) => (k === 'msg' ? '' : v));
  const same = norm(sluiceOut) === norm(dvcOut);
  const revs = Object.keys(JSON.parse(sluiceOut)).length;
  report.compare({
    measure: `metrics show -A (${COMMITS + 1} commits, ${revs} revisions shown)`,
    sluiceRuns,
    referenceLabel: 'dvc metrics show -A',
    referenceRuns: dvcRuns,
    target: 0.2,
    note: same ? 'identical JSON' : 'JSON DIFFERS',
  });
  console.log(
    `sluice ${median(sluiceRuns).toFixed(3)}s, dvc ${median(dvcRuns).toFixed(3)}s, ratio ${(median(sluiceRuns) / median(dvcRuns)).toFixed(3)}x, outputs ${same ? 'identical' : 'DIFFER'}`,
  );
  if (!same) process.exitCode = 1;
} catch (error) {
  report.error('metrics show -A', error);
  process.exitCode = 1;
} finally {
  if (process.env.BENCH_KEEP_DIR === undefined) removeDir(dir);
}
report.finish();
