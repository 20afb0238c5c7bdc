import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordReliability } from '../helpers/reliabilityReport.js';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  type RunResult,
  sluice,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';
import {
  auditObjects,
  checkContents,
  metafiles,
  missingObjects,
  referencedOids,
  snapshotFiles,
  unparsableMetafiles,
} from './invariants.js';
import { randomBytesFrom } from './repoFixtures.js';

/**
 * Full disk: the cache, the workspace or a local remote sits on a small tmpfs volume that the
 * command cannot fit into. It must fail with one clear line, leave nothing half-written under a
 * final name, keep the metafiles and the data already there, and succeed once space is freed.
 */

const mounts: string[] = [];

afterAll(() => {
  for (const dir of mounts.splice(0)) {
    spawnSync('umount', [dir]);
    rmdirSync(dir);
  }
  cleanupSandboxes();
});

/** A fresh tmpfs of `sizeKb`; fails the test (never skips) when it cannot be mounted. */
function mountVolume(sizeKb: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-volume-'));
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmdirSync(dir);
    throw new Error(`cannot mount a tmpfs (the full-disk tests need root): ${result.stderr}`);
  }
  mounts.push(dir);
  return dir;
}

/** Fills the volume up to `leaveKb` of free space with one file; deleting it frees the space. */
function fillVolume(volume: string, leaveKb: number): string {
  const stats = statfsSync(volume);
  const free = stats.bavail * stats.bsize;
  const filler = join(volume, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - leaveKb * 1024)));
  return filler;
}

/** 2 files of 1 MB and 40 of 10 KB: 2.4 MB in a folder (so a `.dir` object too). */
function bigFolder(seed: number): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    'big/model-a.bin': randomBytesFrom(seed, 1024 * 1024),
    'big/model-b.bin': randomBytesFrom(seed + 1, 1024 * 1024),
  };
  for (let i = 0; i < 40; i += 1) {
    files[`big/rows/r${i}.csv`] = randomBytesFrom(seed + 10 + i, 10 * 1024);
  }
  return files;
}

const previous = {
  'old.txt': 'the only copy of last week\n',
  'prev/a.csv': 'a,1\n',
  'prev/b.csv': 'b,2\n',
};

interface CaseFigure {
  case: string;
  command: string;
  message: string;
}

const figures: CaseFigure[] = [];

/** Non-zero exit, exactly one ERROR line that says the disk is full, no stack trace. */
function expectNoSpaceFailure(result: RunResult): string {
  const output = result.stdout + result.stderr;
  const errors = output.split('\n').filter((line) => line.startsWith('ERROR'));
  expect(result.code, output).not.toBe(0);
  expect(errors, output).toHaveLength(1);
  expect(errors[0]).toMatch(/no space left/i);
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/unexpected error/);
  // random temporary names would change the doc on every run
  return (errors[0] ?? '')
    .replaceAll(tmpdir(), '$TMP')
    .replace(/(sluice-[\w-]+?-)\w{6}\b/g, '$1XXXXXX');
}

function metafileBytes(root: string): Map<string, Buffer> {
  return snapshotFiles(root, metafiles(root));
}

/** Every object under a final name hashes right and no temporary file was left behind. */
function expectCleanStore(filesRoot: string): void {
  const audit = auditObjects(filesRoot);
  expect(audit.bad).toEqual([]);
  expect(audit.other).toEqual([]);
}

describe('full disk', () => {
  it('cache on a small volume: add of more than fits fails clearly, keeps what was there', () => {
    const volume = mountVolume(6 * 1024);
    const root = makeRepo('sluice');
    const cacheDir = join(volume, 'cache');
    sluiceOk(root, 'cache', 'dir', cacheDir);
    writeTree(root, previous);
    sluiceOk(root, 'add', 'old.txt', 'prev');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'previous data');
    const filesRoot = join(cacheDir, 'files', 'md5');
    const metaBefore = metafileBytes(root);
    const workspace = snapshotFiles(root, ['old.txt', 'prev']);

    const data = bigFolder(1);
    writeTree(root, data);
    const filler = fillVolume(volume, 1024);
    const failed = sluice(root, 'add', 'big');
    const message = expectNoSpaceFailure(failed);

    expectCleanStore(filesRoot);
    expect(existsSync(join(root, 'big.dvc'))).toBe(false);
    expect(checkContents(root, metafileBytes(root), metaBefore)).toEqual({
      wrong: [],
      missing: [],
    });
    expect(metafiles(root)).toEqual([...metaBefore.keys()]);
    expect(unparsableMetafiles(root)).toEqual([]);
    // the data being added is untouched, and what was tracked before is intact
    expect(checkContents(root, new Map(Object.entries(data).map(([k, v]) => [k, v])))).toEqual({
      wrong: [],
      missing: [],
    });
    expect(checkContents(root, workspace)).toEqual({ wrong: [], missing: [] });
    expect(missingObjects(filesRoot, referencedOids(root))).toEqual([]);

    rmSync(filler);
    sluiceOk(root, 'add', 'big');
    expectCleanStore(filesRoot);
    expect(missingObjects(filesRoot, referencedOids(root))).toEqual([]);
    expect(sluiceOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
    figures.push({ case: 'cache on a 6 MB volume, 1 MB free', command: 'add big', message });
  });

  /** A repo whose workspace is on a small volume; cache and remote are on the big disk. */
  function workspaceOnVolume(): { volume: string; root: string; filesRoot: string } {
    const volume = mountVolume(8 * 1024);
    const root = join(volume, 'repo');
    mkdirSync(root);
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'config', 'gc.auto', '0');
    sluiceOk(root, 'init');
    const cacheDir = join(tempDir(), 'cache');
    const remote = tempDir();
    sluiceOk(root, 'cache', 'dir', cacheDir);
    sluiceOk(root, 'remote', 'add', '-d', 'store', remote);
    writeTree(root, { ...previous, ...bigFolder(2) });
    sluiceOk(root, 'add', 'old.txt', 'prev', 'big');
    sluiceOk(root, 'push');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'data');
    return { volume, root, filesRoot: join(cacheDir, 'files', 'md5') };
  }

  for (const command of ['checkout', 'pull'] as const) {
    it(`workspace on a small volume: ${command} that cannot fit fails clearly, resumes`, () => {
      const { volume, root, filesRoot } = workspaceOnVolume();
      const expected = snapshotFiles(root, ['old.txt', 'prev', 'big']);
      const metaBefore = metafileBytes(root);
      rmSync(join(root, 'big'), { recursive: true });
      if (command === 'pull') rmSync(filesRoot, { recursive: true });
      // room for the lock and small files, not for the two 1 MB models
      const filler = fillVolume(volume, 1536);

      const message = expectNoSpaceFailure(sluice(root, command));

      expectCleanStore(filesRoot);
      expect(metafileBytes(root)).toEqual(metaBefore);
      // a file of big/ is either absent or complete, never cut short; old data is untouched
      const partial = new Map([...expected].filter(([path]) => path.startsWith('big/')));
      expect(checkContents(root, partial, new Map()).wrong).toEqual([]);
      expect(
        checkContents(root, new Map([...expected].filter(([path]) => !path.startsWith('big/')))),
      ).toEqual({ wrong: [], missing: [] });
      if (command === 'checkout') {
        expect(missingObjects(filesRoot, referencedOids(root))).toEqual([]);
      }

      rmSync(filler);
      sluiceOk(root, command);
      expect(checkContents(root, expected)).toEqual({ wrong: [], missing: [] });
      expectCleanStore(filesRoot);
      expect(missingObjects(filesRoot, referencedOids(root))).toEqual([]);
      expect(sluiceOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
      figures.push({ case: 'workspace on an 8 MB volume, 1.5 MB free', command, message });
    });
  }

  it('cache on a small volume: pull that cannot fit fails clearly, resumes', () => {
    const volume = mountVolume(6 * 1024);
    const remote = tempDir('sluice-remote-');
    const root = makeRepo('sluice');
    sluiceOk(root, 'remote', 'add', '-d', 'store', remote);
    writeTree(root, { ...previous, ...bigFolder(4) });
    sluiceOk(root, 'add', 'old.txt', 'prev', 'big');
    sluiceOk(root, 'push');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'data');
    const expected = snapshotFiles(root, ['old.txt', 'prev', 'big']);
    const metaBefore = metafileBytes(root);
    // a fresh cache on the small volume, and the data gone from the workspace
    const cacheDir = join(volume, 'cache');
    sluiceOk(root, 'cache', 'dir', cacheDir);
    rmSync(join(root, 'big'), { recursive: true });
    const filler = fillVolume(volume, 1024);

    const message = expectNoSpaceFailure(sluice(root, 'pull'));

    const filesRoot = join(cacheDir, 'files', 'md5');
    expectCleanStore(filesRoot);
    expect(metafileBytes(root)).toEqual(metaBefore);
    const partial = new Map([...expected].filter(([path]) => path.startsWith('big/')));
    expect(checkContents(root, partial, new Map()).wrong).toEqual([]);
    expect(auditObjects(join(remote, 'files', 'md5')).bad).toEqual([]);

    rmSync(filler);
    sluiceOk(root, 'pull');
    expect(checkContents(root, expected)).toEqual({ wrong: [], missing: [] });
    expectCleanStore(filesRoot);
    expect(missingObjects(filesRoot, referencedOids(root))).toEqual([]);
    expect(sluiceOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
    figures.push({ case: 'cache on a 6 MB volume, 1 MB free', command: 'pull', message });
  });

  it('local remote on a small volume: push that cannot fit fails clearly, resumes', () => {
    const volume = mountVolume(4 * 1024);
    const remote = join(volume, 'remote');
    const root = makeRepo('sluice');
    sluiceOk(root, 'remote', 'add', '-d', 'store', remote);
    writeTree(root, previous);
    sluiceOk(root, 'add', 'old.txt', 'prev');
    sluiceOk(root, 'push');
    const remoteRoot = join(remote, 'files', 'md5');
    const before = auditObjects(remoteRoot).objects;
    writeTree(root, bigFolder(3));
    sluiceOk(root, 'add', 'big');
    const metaBefore = metafileBytes(root);
    const filler = fillVolume(volume, 1024);

    const message = expectNoSpaceFailure(sluice(root, 'push'));

    expectCleanStore(remoteRoot);
    const after = auditObjects(remoteRoot).objects;
    expect(after).toEqual(expect.arrayContaining(before));
    expect(metafileBytes(root)).toEqual(metaBefore);
    expect(
      missingObjects(join(root, '.dvc', 'cache', 'files', 'md5'), referencedOids(root)),
    ).toEqual([]);

    rmSync(filler);
    sluiceOk(root, 'push');
    expectCleanStore(remoteRoot);
    expect(missingObjects(remoteRoot, referencedOids(root))).toEqual([]);
    expect(sluiceOk(root, 'status', '-c').stdout).toMatch(/up to date|Cache and remote/);
    figures.push({ case: 'remote on a 4 MB volume, 1 MB free', command: 'push', message });
  });

  it('repo on a volume with no space at all: even status fails with one clear line', () => {
    const volume = mountVolume(1024);
    const root = join(volume, 'repo');
    mkdirSync(root);
    git(root, 'init', '-q', '-b', 'main');
    sluiceOk(root, 'init');
    writeTree(root, previous);
    sluiceOk(root, 'add', 'old.txt');
    const metaBefore = metafileBytes(root);
    const filler = fillVolume(volume, 0);
    // a few bytes may be left in a partial page: use them up too
    try {
      writeFileSync(join(volume, 'crumbs'), Buffer.alloc(64 * 1024));
    } catch {
      // already full
    }

    const message = expectNoSpaceFailure(sluice(root, 'status'));

    expect(metafileBytes(root)).toEqual(metaBefore);
    expect(readFileSync(join(root, 'old.txt'), 'utf8')).toBe(previous['old.txt']);
    rmSync(filler);
    rmSync(join(volume, 'crumbs'), { force: true });
    expect(sluiceOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
    figures.push({ case: 'repo on a full 1 MB volume', command: 'status', message });
  });

  it('records the figures', () => {
    expect(figures).toHaveLength(6);
    const rows = figures.map((f) => `| ${f.case} | \`sluice ${f.command}\` | \`${f.message}\` |`);
    recordReliability({
      id: '20-full-disk',
      title: 'Full disk',
      body: `Each case puts one part of a project on its own small tmpfs volume, fills it with a
filler file, runs a command that cannot fit, then deletes the filler and runs it again.

Checked each time: a non-zero exit with exactly one \`ERROR\` line saying no space is left and
no stack trace; every object under a final name in the cache or remote hashes to its name and no
temporary file is left behind; the \`.dvc\` files are byte-identical to before; the data tracked
before and the data being added are intact (a workspace file is either absent or complete); and
after freeing the space the same command succeeds with \`sluice status\` clean.

| volume | command | what the user is told |
|---|---|---|
${rows.join('\n')}

Rerun: \`npx vitest run test/reliability/fullDisk.test.ts\` (needs root to mount tmpfs).`,
    });
  });
});
