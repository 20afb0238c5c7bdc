// Target 1: `sluice add` of one 2 GiB file takes at most 1.0x `md5sum FILE` followed by `cp FILE`.
// Each sluice add starts from a fresh repository (git init + sluice init), so no hash cache helps.
// The page cache cannot be dropped here, so every command runs once to warm up, then the
// measured runs alternate reference / sluice.
import process from 'node:process';
import console from 'node:console';
import {
  closeSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Report, SCALE, freshRepo, makeTempDir, removeDir, run, sluice } from './lib.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const FULL_SIZE = 2 * 1024 ** 3;
const CHUNK = 16 * 1024 * 1024;

function generate(file, size) {
  const pool = randomBytes(CHUNK);
  const fd = openSync(file, 'w');
  try {
    for (let off = 0, i = 0; off < size; off += CHUNK, i++) {
      // Stamp each chunk so no two chunks are equal (keeps the content incompressible and unique).
      pool.writeUInt32LE(i, 0);
      const len = Math.min(CHUNK, size - off);
      writeSync(fd, pool, 0, len);
    }
  } finally {
    closeSync(fd);
  }
}

function main() {
  const report = new Report('add-large-file', 'add of one large file');
  const size = Math.max(1024 * 1024, Math.round(FULL_SIZE * SCALE));
  report.params = { sizeBytes: size, reps: REPS };
  const tmp = makeTempDir('bigfile');
  const src = path.join(tmp, 'big.bin');
  const copy = path.join(tmp, 'copy.bin');
  let repoCount = 0;
  let md5FromMd5sum = null;

  const reference = () => {
    const a = run('md5sum', [src]);
    md5FromMd5sum = a.stdout.split(' ')[0];
    const b = run('cp', [src, copy]);
    rmSync(copy, { force: true });
    return a.seconds + b.seconds;
  };

  const sluiceAdd = () => {
    const repo = freshRepo(path.join(tmp, `repo${repoCount++}`), 'sluice');
    const inRepo = path.join(repo, 'big.bin');
    // Moving the file in and out is free (same filesystem), unlike copying 2 GiB.
    renameSync(src, inRepo);
    try {
      const r = sluice(['add', '-q', 'big.bin'], { cwd: repo });
      const dvcFile = readFileSync(path.join(repo, 'big.bin.dvc'), 'utf8');
      if (md5FromMd5sum !== null && !dvcFile.includes(`md5: ${md5FromMd5sum}`)) {
        throw new Error(`big.bin.dvc does not record md5 ${md5FromMd5sum}:\n${dvcFile}`);
      }
      return r.seconds;
    } finally {
      // With the default copy link type the workspace keeps a full copy (same bytes) to move back.
      if (!lstatSync(inRepo).isSymbolicLink()) renameSync(inRepo, src);
      removeDir(repo);
    }
  };

  try {
    console.log(`add-large-file: generating ${(size / 1024 ** 3).toFixed(2)} GiB in ${tmp}`);
    generate(src, size);
    reference();
    sluiceAdd();
    const refRuns = [];
    const sluiceRuns = [];
    for (let i = 0; i < REPS; i++) {
      refRuns.push(reference());
      sluiceRuns.push(sluiceAdd());
    }
    report.compare({
      measure: `\`sluice add\` of one ${(size / 1024 ** 3).toFixed(2)} GiB file (fresh repo each run)`,
      sluiceRuns,
      referenceLabel: '`md5sum FILE` + `cp FILE COPY`',
      referenceRuns: refRuns,
      target: 1.0,
    });
    report.notes.push(
      'Page cache not dropped: each command ran once to warm up, then the measured runs alternated; the file fits in RAM, so both sides read it from the page cache.',
    );
  } catch (err) {
    report.error('add of one large file', err);
  } finally {
    removeDir(tmp);
  }
  process.exitCode = report.finish();
}

main();
