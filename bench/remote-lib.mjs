// The remote benchmarks' shared scenario: push then pull, and `status -c` with everything pushed,
// Sluice beside real DVC on the same generated data, for any remote (a local folder, MinIO).
//
// Each data set is written once, then copied (hard links, `cp -al`) into one Sluice and one DVC
// repository; `add` and the remote's setup are not timed. Every timed command is preceded by an
// untimed `sync`, so that the writeback of the previous command's gigabyte does not land on the
// next one (which tool runs after which would otherwise decide the figures of the big file).
import process from 'node:process';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Report, SCALE, dvc, freshRepo, makeTempDir, removeDir, run, sluice } from './lib.mjs';

export const SMALL_FILES = Number(process.env.SMALL_FILES ?? Math.round(10_000 * SCALE));
export const BIG_MIB = Number(process.env.BIG_MIB ?? Math.max(1, Math.round(1024 * SCALE)));
/** Push+pull runs of each tool per data set: the median of three, since one run of either tool
 * varied by a third from one benchmark run to the next. */
const SMALL_REPS = Number(process.env.BENCH_REMOTE_SMALL_REPS ?? 3);
const BIG_REPS = Number(process.env.BENCH_REMOTE_BIG_REPS ?? 3);
const STATUS_REPS = Number(process.env.BENCH_STATUS_REPS ?? 5);

const TOOLS = { sluice, dvc };

function smallData(dir) {
  const pool = randomBytes(4 * 1024 * 1024);
  for (let i = 0; i < SMALL_FILES; i += 1) {
    const sub = path.join(dir, String(i % 100));
    if (i < 100) mkdirSync(sub, { recursive: true });
    const offset = (i * 4096 * 7) % (pool.length - 4096);
    const buf = Buffer.from(pool.subarray(offset, offset + 4096));
    buf.writeUInt32LE(i, 0); // no two files share content
    writeFileSync(path.join(sub, `f${i}`), buf);
  }
}

function bigData(dir) {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(path.join(dir, 'big'), 'w');
  const chunk = randomBytes(1 << 20);
  try {
    for (let i = 0; i < BIG_MIB; i += 1) {
      chunk.writeUInt32LE(i, 0);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
}

const flush = () => spawnSync('sync', { stdio: 'ignore' });

/** Runs a command of `tool` in `repo` after a `sync`, returning its wall time in seconds. */
function timed(tool, repo, args) {
  flush();
  return TOOLS[tool](args, { cwd: repo }).seconds;
}

/**
 * One repository per tool with `data` added and the remote configured (`remote.setup(tool,
 * repo, tag)` runs the `remote add`/`modify` commands), ready to push.
 */
function prepare(tmp, template, tool, tag, remote) {
  const repo = freshRepo(path.join(tmp, `${tool}-${tag}`), tool);
  run('cp', ['-al', template, path.join(repo, 'data')]);
  TOOLS[tool](['add', 'data'], { cwd: repo });
  remote.setup(tool, repo, tag);
  return repo;
}

function dropLocal(repo) {
  rmSync(path.join(repo, '.dvc', 'cache'), { recursive: true, force: true });
  rmSync(path.join(repo, 'data'), { recursive: true, force: true });
}

async function scenario(tmp, label, makeData, reps, remote) {
  const template = path.join(tmp, `template-${label}`);
  makeData(template);
  const times = { sluice: { pushPull: [], status: [] }, dvc: { pushPull: [], status: [] } };
  for (let rep = 0; rep < reps; rep += 1) {
    // Alternate which tool goes first, so neither always meets the other's leftovers.
    const order = rep % 2 === 0 ? ['sluice', 'dvc'] : ['dvc', 'sluice'];
    const repos = {};
    for (const tool of order) repos[tool] = prepare(tmp, template, tool, `${label}-${rep}`, remote);
    const push = {};
    for (const tool of order) push[tool] = timed(tool, repos[tool], ['push']);
    if (rep === 0) {
      for (let i = 0; i < STATUS_REPS; i += 1) {
        for (const tool of order)
          times[tool].status.push(timed(tool, repos[tool], ['status', '-c']));
      }
    }
    for (const tool of order) dropLocal(repos[tool]);
    for (const tool of order) {
      times[tool].pushPull.push(push[tool] + timed(tool, repos[tool], ['pull']));
      removeDir(repos[tool]);
    }
    await remote.clear?.(label, rep);
  }
  removeDir(template);
  return times;
}

/**
 * Runs the scenario for the 10,000 small files and for the big file against `remote`
 * ({ name, title, label, setup(tool, repo, tag), clear?(label, rep) (may be async) }) and
 * reports.
 */
export async function runRemoteBench(remote) {
  const report = new Report(remote.name, remote.title);
  report.params = {
    smallFiles: SMALL_FILES,
    bigMiB: BIG_MIB,
    smallReps: SMALL_REPS,
    bigReps: BIG_REPS,
    statusReps: STATUS_REPS,
  };
  const tmp = makeTempDir(remote.name);
  // Targets from the remotes issue: push+pull of the small files <= 0.5x DVC, of the big file
  // <= 1.1x; `status -c` with everything pushed (10,000 files) <= 0.3x.
  const sets = [
    ['small', `${SMALL_FILES} files of 4 KiB`, smallData, SMALL_REPS, 0.5, 0.3],
    ['big', `one ${BIG_MIB} MiB file`, bigData, BIG_REPS, 1.1, null],
  ];
  try {
    for (const [tag, label, makeData, reps, target, statusTarget] of sets) {
      try {
        const times = await scenario(tmp, tag, makeData, reps, remote);
        report.compare({
          measure: `push then pull to ${remote.label}, ${label}`,
          sluiceRuns: times.sluice.pushPull,
          referenceLabel: '`dvc push` + `dvc pull`',
          referenceRuns: times.dvc.pushPull,
          target,
        });
        report.compare({
          measure: `\`status -c\` with everything pushed to ${remote.label}, ${label}`,
          sluiceRuns: times.sluice.status,
          referenceLabel: '`dvc status -c`',
          referenceRuns: times.dvc.status,
          ...(statusTarget === null ? {} : { target: statusTarget }),
        });
      } catch (err) {
        report.error(label, err);
      }
    }
  } finally {
    spawnSync('chmod', ['-R', 'u+w', tmp]);
    removeDir(tmp);
  }
  report.notes.push(
    'every timed command runs after an untimed `sync`; push and pull go to a fresh remote location each run',
  );
  return report;
}
