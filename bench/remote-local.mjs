#!/usr/bin/env node
// Push then pull to a local-folder remote, sluice vs real DVC, and `status -c` with everything
// pushed. Sizes: SMALL_FILES (default 10000 files of 4 KiB) and BIG_MIB (default 1024).
// Usage: node bench/remote-local.mjs   (needs `npm run build` and scripts/ensure-tools.sh)
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Report } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sluiceBin = join(root, 'bin', 'sluice');
const dvcBin = join(
  process.env.SLUICE_TOOLS_DIR ?? join(homedir(), '.cache', 'sluice-tools'),
  'dvc-venv',
  'bin',
  'dvc',
);
const SMALL = Number(process.env.SMALL_FILES ?? 10000);
const BIG_MIB = Number(process.env.BIG_MIB ?? 1024);
const env = {
  ...process.env,
  DVC_NO_ANALYTICS: '1',
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@l',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@l',
};

function run(cwd, cmd, args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function tool(name) {
  return name === 'sluice' ? [process.execPath, [sluiceBin]] : [dvcBin, []];
}

function setup(name, makeData) {
  const dir = mkdtempSync(join(tmpdir(), `bench-remote-${name}-`));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  run(repo, 'git', ['init', '-q']);
  const [cmd, pre] = tool(name);
  run(repo, cmd, [...pre, 'init', '-q']);
  makeData(repo);
  run(repo, cmd, [...pre, 'add', 'data']);
  run(repo, cmd, [...pre, 'remote', 'add', '-d', 'r', join(dir, 'storage')]);
  return { dir, repo, sl: (args) => run(repo, cmd, [...pre, ...args]) };
}

function smallData(repo) {
  for (let i = 0; i < SMALL; i += 1) {
    const sub = join(repo, 'data', String(i % 100));
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}`), randomBytes(4096));
  }
}

function bigData(repo) {
  mkdirSync(join(repo, 'data'));
  const fd = openSync(join(repo, 'data', 'big'), 'w');
  const chunk = randomBytes(1 << 20);
  for (let i = 0; i < BIG_MIB; i += 1) {
    chunk[0] = i & 255;
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

function scenario(label, makeData) {
  const times = {};
  for (const name of ['sluice', 'dvc']) {
    const { dir, repo, sl } = setup(name, makeData);
    const push = sl(['push']);
    const status = sl(['status', '-c']);
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'data'), { recursive: true, force: true });
    const pull = sl(['pull']);
    times[name] = { push, pull, status };
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

// Targets from the remotes issue: push+pull of small files <= 0.5x DVC, of one big file
// <= 1.1x, `status -c` with everything pushed <= 0.3x.
const report = new Report('remote-local', 'push, pull and status -c with a local-folder remote');
report.params = { smallFiles: SMALL, bigMiB: BIG_MIB, reps: 1 };
for (const [label, makeData, target, statusTarget] of [
  [`${SMALL} files of 4 KiB`, smallData, 0.5, 0.3],
  [`one ${BIG_MIB} MiB file`, bigData, 1.1, null],
]) {
  try {
    const times = scenario(label, makeData);
    report.compare({
      measure: `push then pull, ${label}`,
      sluiceRuns: [times.sluice.push + times.sluice.pull],
      referenceLabel: '`dvc push` + `dvc pull`',
      referenceRuns: [times.dvc.push + times.dvc.pull],
      target,
    });
    report.compare({
      measure: `\`status -c\` with everything pushed, ${label}`,
      sluiceRuns: [times.sluice.status],
      referenceLabel: '`dvc status -c`',
      referenceRuns: [times.dvc.status],
      ...(statusTarget === null ? {} : { target: statusTarget }),
    });
  } catch (err) {
    report.error(label, err);
  }
}
process.exitCode = report.finish();
