// Targets 2, 3 and 5, plus checkout (report only), on one folder of 100,000 files of 1-4 KiB in
// 100 subfolders. Sluice, git and DVC each work on their own copy of the same generated tree,
// since their caches differ.
//   2. `sluice add data`: at most 2x `git add -A`, at most 0.3x `dvc add data` (fresh repos).
//   3. no-op `sluice status`: at most 2x `git status` (stretch 1.5x), at most 0.1x `dvc status`;
//      after changing one file, status should rehash only that file (time close to no-op).
//   5. peak RSS of `sluice status` under 200 MiB (GNU time %M).
//   -  `sluice checkout` of the deleted folder vs `dvc checkout` (report only).
import process from 'node:process';
import console from 'node:console';
import { Buffer } from 'node:buffer';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  DVC_BIN,
  Report,
  SCALE,
  SLUICE_BIN,
  dvc,
  freshRepo,
  git,
  makeTempDir,
  median,
  peakRssMiB,
  prng,
  removeDir,
  run,
  sluice,
} from './lib.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const STATUS_REPS = Number(process.env.BENCH_STATUS_REPS ?? 5);
// DVC is slow on 100k files; its add runs once (documented), status and checkout a few times.
const DVC_ADD_REPS = Number(process.env.BENCH_DVC_ADD_REPS ?? 1);
const DVC_STATUS_REPS = Number(process.env.BENCH_DVC_STATUS_REPS ?? 3);
const DVC_CHECKOUT_REPS = Number(process.env.BENCH_DVC_CHECKOUT_REPS ?? 1);
const CHECKOUT_REPS = Number(process.env.BENCH_CHECKOUT_REPS ?? 2);
const FULL_FILES = 100_000;
const TOP = 10;
const SUB = 10;

function leafDirs(root) {
  const dirs = [];
  for (let a = 0; a < TOP; a++)
    for (let b = 0; b < SUB; b++) dirs.push(path.join(root, `d${a}`, `e${b}`));
  return dirs;
}

/** Writes `count` files of 1-4 KiB of random bytes, spread over 10 x 10 nested folders. */
function generateTree(root, count) {
  const rand = prng(20240601);
  const pool = randomBytes(8 * 1024 * 1024);
  const dirs = leafDirs(root);
  for (const d of dirs) mkdirSync(d, { recursive: true });
  for (let i = 0; i < count; i++) {
    const size = 1024 + Math.floor(rand() * 3073);
    const off = Math.floor(rand() * (pool.length - size));
    const buf = Buffer.from(pool.subarray(off, off + size));
    buf.writeUInt32LE(i, 0); // no two files share content
    writeFileSync(path.join(dirs[i % dirs.length], `f${i}.bin`), buf);
  }
  return dirs.map((d) => path.relative(root, d));
}

function countFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .length;
}

// Hard links: creating 100k files with data costs ~35 s of kernel time here, linking ~1 s. No tool
// writes into a workspace file (add copies into its cache), and the one benchmark step that
// changes a file replaces it, so the copies stay independent.
const copyTree = (template, repo) => run('cp', ['-al', template, path.join(repo, 'data')]);

function main() {
  const report = new Report(
    'many-files',
    `folder of ${FULL_FILES.toLocaleString('en')} small files`,
  );
  const count = Math.max(1000, Math.round(FULL_FILES * SCALE));
  report.params = {
    files: count,
    folders: TOP * SUB,
    reps: REPS,
    statusReps: STATUS_REPS,
    dvcAddReps: DVC_ADD_REPS,
  };
  const tmp = makeTempDir('many');
  const template = path.join(tmp, 'template', 'data');
  const repos = [];
  const newRepo = (tool) => {
    const dir = path.join(tmp, `${tool}${repos.length}`);
    repos.push(dir);
    return freshRepo(dir, tool);
  };

  try {
    console.log(`many-files: generating ${count} files in ${tmp}`);
    const t0 = Date.now();
    const leaves = generateTree(template, count);
    console.log(`  generated in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // --- 2. add -------------------------------------------------------------------------
    const gitAdd = [];
    const sluiceAdd = [];
    let gitRepo = null;
    let sluiceRepo = null;
    for (let i = 0; i < REPS; i++) {
      if (gitRepo) removeDir(gitRepo);
      gitRepo = newRepo('git');
      copyTree(template, gitRepo);
      gitAdd.push(git(['add', '-A'], { cwd: gitRepo }).seconds);

      if (sluiceRepo) removeDir(sluiceRepo);
      sluiceRepo = newRepo('sluice');
      copyTree(template, sluiceRepo);
      sluiceAdd.push(sluice(['add', '-q', 'data'], { cwd: sluiceRepo }).seconds);
    }
    const dvcAdd = [];
    let dvcRepo = null;
    for (let i = 0; i < DVC_ADD_REPS; i++) {
      if (dvcRepo) removeDir(dvcRepo);
      dvcRepo = newRepo('dvc');
      copyTree(template, dvcRepo);
      dvcAdd.push(dvc(['add', '-q', 'data'], { cwd: dvcRepo }).seconds);
    }
    const addMeasure = `\`sluice add data\` (${count.toLocaleString('en')} files, fresh repo each run)`;
    report.compare({
      measure: addMeasure,
      sluiceRuns: sluiceAdd,
      referenceLabel: '`git add -A`',
      referenceRuns: gitAdd,
      target: 2,
    });
    report.compare({
      measure: addMeasure,
      sluiceRuns: sluiceAdd,
      referenceLabel: '`dvc add data`',
      referenceRuns: dvcAdd,
      target: 0.3,
      note: DVC_ADD_REPS === 1 ? 'dvc add measured once (it is slow on 100k files)' : '',
    });
    for (const r of [sluiceRepo, dvcRepo]) {
      const md5 = /md5: ([0-9a-f]{32}\.dir)/.exec(
        run('cat', [path.join(r, 'data.dvc')]).stdout,
      )?.[1];
      report.params[`${path.basename(r).replace(/\d+$/, '')}DirHash`] = md5 ?? null;
    }
    if (report.params.sluiceDirHash !== report.params.dvcDirHash) {
      report.notes.push(
        `MISMATCH: sluice recorded ${report.params.sluiceDirHash}, dvc ${report.params.dvcDirHash}`,
      );
    }

    // --- 3. no-op status ---------------------------------------------------------------
    // git status is measured on a committed tree, its common no-op case.
    git(['commit', '-q', '-m', 'data'], { cwd: gitRepo });
    const firstStatus = sluice(['status'], { cwd: sluiceRepo });
    report.params.sluiceFirstStatusSeconds = firstStatus.seconds;
    if (!/up to date/i.test(firstStatus.stdout)) {
      report.notes.push(
        `sluice status right after add did not say "up to date": ${firstStatus.stdout.slice(0, 300)}`,
      );
    }
    git(['status'], { cwd: gitRepo });
    const sluiceStatus = [];
    const gitStatus = [];
    for (let i = 0; i < STATUS_REPS; i++) {
      gitStatus.push(git(['status'], { cwd: gitRepo }).seconds);
      sluiceStatus.push(sluice(['status'], { cwd: sluiceRepo }).seconds);
    }
    const dvcFirst = dvc(['status'], { cwd: dvcRepo });
    report.params.dvcFirstStatusSeconds = dvcFirst.seconds;
    const dvcStatus = [];
    for (let i = 0; i < DVC_STATUS_REPS; i++)
      dvcStatus.push(dvc(['status'], { cwd: dvcRepo }).seconds);
    const statusMeasure = `no-op \`sluice status\` (${count.toLocaleString('en')} files)`;
    report.compare({
      measure: statusMeasure,
      sluiceRuns: sluiceStatus,
      referenceLabel: '`git status`',
      referenceRuns: gitStatus,
      target: 2,
      stretch: 1.5,
    });
    report.compare({
      measure: statusMeasure,
      sluiceRuns: sluiceStatus,
      referenceLabel: '`dvc status`',
      referenceRuns: dvcStatus,
      target: 0.1,
    });

    // --- 5. peak memory of status (before any change, so it is the no-op case) ----------
    const rss = peakRssMiB(process.execPath, [SLUICE_BIN, 'status'], { cwd: sluiceRepo });
    if (rss == null)
      report.notes.push('/usr/bin/time missing: peak memory not measured (apt-get install time)');
    else {
      const gitRss = peakRssMiB('git', ['status'], { cwd: gitRepo });
      const dvcRss = peakRssMiB(DVC_BIN, ['status'], { cwd: dvcRepo });
      report.absolute({
        measure: `peak RSS of \`sluice status\` (${count.toLocaleString('en')} files)`,
        unit: 'MiB',
        value: rss,
        limit: 200,
        referenceLabel: '`dvc status`',
        reference: dvcRss,
        note: `git status: ${gitRss.toFixed(1)} MiB`,
      });
    }

    // --- 3b. status after changing one file -------------------------------------------
    // Each run changes a different file, so each run must hash exactly one new file.
    const changed = [];
    for (let i = 0; i < STATUS_REPS; i++) {
      const rel = path.join(
        'data',
        leaves[(i * 37) % leaves.length],
        `f${(i * 37) % leaves.length}.bin`,
      );
      rmSync(path.join(sluiceRepo, rel)); // a new inode: the old one is shared with the other trees
      writeFileSync(path.join(sluiceRepo, rel), `changed ${i}\n`);
      const r = sluice(['status'], { cwd: sluiceRepo });
      if (!/modified/.test(r.stdout))
        report.notes.push(
          `status after changing ${rel} did not report a change: ${r.stdout.slice(0, 200)}`,
        );
      changed.push(r.seconds);
    }
    report.compare({
      measure: '`sluice status` after changing one file',
      sluiceRuns: changed,
      referenceLabel: 'no-op `sluice status`',
      referenceRuns: sluiceStatus,
      note: 'should be close to 1x: only the changed file is rehashed',
    });

    // --- checkout of the deleted folder (report only) ---------------------------------
    const sluiceCheckout = [];
    for (let i = 0; i < CHECKOUT_REPS; i++) {
      removeDir(path.join(sluiceRepo, 'data'));
      sluiceCheckout.push(sluice(['checkout', '-q'], { cwd: sluiceRepo }).seconds);
    }
    const restored = countFiles(path.join(sluiceRepo, 'data'));
    if (restored !== count)
      report.notes.push(`sluice checkout restored ${restored} files, expected ${count}`);
    const dvcCheckout = [];
    for (let i = 0; i < DVC_CHECKOUT_REPS; i++) {
      removeDir(path.join(dvcRepo, 'data'));
      dvcCheckout.push(dvc(['checkout', '-q'], { cwd: dvcRepo }).seconds);
    }
    report.compare({
      measure: `\`sluice checkout\` of the deleted folder (${count.toLocaleString('en')} files)`,
      sluiceRuns: sluiceCheckout,
      referenceLabel: '`dvc checkout`',
      referenceRuns: dvcCheckout,
      note: DVC_CHECKOUT_REPS === 1 ? 'dvc checkout measured once' : '',
    });
    report.params.sluiceStatusMedianSeconds = median(sluiceStatus);
  } catch (err) {
    report.error('many-files', err);
  } finally {
    removeDir(tmp);
  }
  process.exitCode = report.finish();
}

main();
