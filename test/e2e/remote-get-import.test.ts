import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  read,
  sluice,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';
import { gitHint } from '../helpers/gitHint.js';

// One source repository for the whole file: Sluice-tracked data pushed to a local remote
// (stored relative to the repo, as `remote add -d store ../storage` writes it), a plain git file,
// a tag v1 and a second commit on main.
let src = '';
let v1 = '';
let v2 = '';

function head(dir: string): string {
  return git(dir, 'rev-parse', 'HEAD').stdout.trim();
}

function files(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base === '' ? entry.name : `${base}/${entry.name}`;
    if (entry.isDirectory()) out.push(...files(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

beforeAll(() => {
  const parent = tempDir('sluice-import-src-');
  src = join(parent, 'src');
  const made = makeRepo('sluice');
  // makeRepo picks its own folder; move the project under `parent` so that ../storage is beside it.
  git(parent, 'clone', '-q', made, src);
  writeTree(src, {
    'data/foo.txt': 'foo',
    'data/dir/a.txt': 'aaa',
    'data/dir/sub/b.txt': 'bbbb',
    'plain.txt': 'plain',
  });
  sluiceOk(src, 'add', 'data/foo.txt', 'data/dir');
  sluiceOk(src, 'remote', 'add', '-d', 'store', '../storage');
  git(src, 'add', '-A');
  git(src, 'commit', '-q', '-m', 'data');
  sluiceOk(src, 'push');
  git(src, 'tag', 'v1');
  v1 = head(src);
  writeFileSync(join(src, 'data', 'foo.txt'), 'foo2');
  sluiceOk(src, 'add', 'data/foo.txt');
  git(src, 'commit', '-q', '-am', 'foo2');
  sluiceOk(src, 'push');
  v2 = head(src);
}, 120_000);

afterAll(() => {
  cleanupSandboxes();
});

describe('import from a git repository', () => {
  it('imports a tracked file, writes the .dvc file DVC writes and ignores the output', () => {
    const repo = makeRepo('sluice');
    const result = sluiceOk(repo, 'import', src, 'data/foo.txt');
    expect(result.stdout).toBe(
      `Importing 'data/foo.txt (${src})' -> 'foo.txt'\n${gitHint('foo.txt.dvc .gitignore')}`,
    );
    expect(read(repo, 'foo.txt')).toBe('foo2');
    const text = read(repo, 'foo.txt.dvc');
    expect(text).toMatch(/^md5: [0-9a-f]{32}\nfrozen: true\n/);
    expect(text).toContain(
      `deps:\n- path: data/foo.txt\n  repo:\n    url: ${src}\n    rev_lock: ${v2}\nouts:\n` +
        '- md5: 92e0057157f69e22a364d6b22dd6bbd5\n  size: 4\n  hash: md5\n  path: foo.txt\n',
    );
    expect(read(repo, '.gitignore')).toContain('/foo.txt');
    expect(sluiceOk(repo, 'status').stdout).toContain('up to date');
  });

  it('fetches from the default remote (relative to the source) when its cache is gone', () => {
    // A clone of the source has no cache: the objects must come from the remote. Its relative
    // url would point beside the clone, so it is made absolute first.
    const parent = tempDir('sluice-import-clone-');
    const clone = join(parent, 'clone');
    git(parent, 'clone', '-q', src, clone);
    sluiceOk(clone, 'remote', 'modify', 'store', 'url', join(src, '..', 'storage'));
    git(clone, 'commit', '-q', '-am', 'absolute remote');
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import', clone, 'data/dir', '-o', 'mydir');
    expect(files(join(repo, 'mydir'))).toEqual(['a.txt', 'sub/b.txt']);
    expect(read(repo, 'mydir/sub/b.txt')).toBe('bbbb');
    expect(read(repo, 'mydir.dvc')).toContain(
      `    rev_lock: ${head(clone)}\nouts:\n- md5: a4776b8962af99451a5c5463b128b6e3.dir\n  size: 7\n  nfiles: 2\n`,
    );
    // At v1 the remote was still relative to where the source lives: nothing to fetch from.
    const fresh = makeRepo('sluice');
    const failed = sluice(fresh, 'import', clone, 'data/dir', '-o', 'old', '--rev', 'v1');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^ERROR: some files of 'data\/dir' are neither in the cache/);
  });

  it('imports a file inside a tracked folder, a plain git file and a whole folder', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import', src, 'data/dir/sub/b.txt', '-o', 'b.txt');
    expect(read(repo, 'b.txt')).toBe('bbbb');
    sluiceOk(repo, 'import', src, 'plain.txt');
    expect(read(repo, 'plain.txt')).toBe('plain');
    expect(read(repo, 'plain.txt.dvc')).toContain('- md5: ac7938d40cfc2307e2bf325d28e7884e\n');
    // A git folder holding .dvc files: their outputs are merged in, the metafiles left out.
    sluiceOk(repo, 'import', src, 'data', '-o', 'alldata');
    expect(files(join(repo, 'alldata'))).toEqual([
      '.gitignore',
      'dir/a.txt',
      'dir/sub/b.txt',
      'foo.txt',
    ]);
  });

  it('reports "update available", and update moves rev_lock and the data', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import', src, 'data/foo.txt', '--rev', 'v1', '-o', 'pinned.txt');
    sluiceOk(repo, 'import', src, 'data/foo.txt', '-o', 'moving.txt');
    expect(read(repo, 'pinned.txt')).toBe('foo');
    expect(sluiceOk(repo, 'status').stdout).toContain('up to date');
    writeFileSync(join(src, 'data', 'foo.txt'), 'foo3');
    sluiceOk(src, 'add', 'data/foo.txt');
    git(src, 'commit', '-q', '-am', 'foo3');
    sluiceOk(src, 'push');
    const status = JSON.parse(sluiceOk(repo, 'status', '--json').stdout) as Record<string, unknown>;
    expect(status).toEqual({
      'moving.txt.dvc': [{ 'changed deps': { [`data/foo.txt (${src})`]: 'update available' } }],
    });
    const skipped = sluiceOk(repo, 'update', 'pinned.txt.dvc');
    expect(skipped.stderr).toContain("'pinned.txt.dvc' didn't change, skipping");
    sluiceOk(repo, 'update', 'moving.txt.dvc');
    expect(read(repo, 'moving.txt')).toBe('foo3');
    expect(read(repo, 'moving.txt.dvc')).toContain(`rev_lock: ${head(src)}`);
    sluiceOk(repo, 'update', '--rev', 'v1', 'moving.txt.dvc');
    expect(read(repo, 'moving.txt')).toBe('foo');
    expect(read(repo, 'moving.txt.dvc')).toContain(`    rev_lock: ${v1}\n    rev: v1\n`);
    expect(sluiceOk(repo, 'status').stdout).toContain('up to date');
  });

  it('writes --no-exec and --no-download files as DVC does, and update fills them', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import', '--no-exec', src, 'data/foo.txt', '-o', 'ne.txt');
    expect(read(repo, 'ne.txt.dvc')).toBe(
      `frozen: true\ndeps:\n- path: data/foo.txt\n  repo:\n    url: ${src}\nouts:\n- hash: md5\n  path: ne.txt\n`,
    );
    expect(existsSync(join(repo, 'ne.txt'))).toBe(false);
    sluiceOk(repo, 'import', '--no-download', src, 'data/dir', '-o', 'nd', '--rev', 'v1');
    expect(read(repo, 'nd.dvc')).toMatch(
      new RegExp(
        `^md5: [0-9a-f]{32}\\nfrozen: true\\ndeps:\\n- path: data/dir\\n  repo:\\n    url: ${src}\\n    rev: v1\\n    rev_lock: ${v1}\\nouts:\\n- hash: md5\\n  path: nd\\n$`,
      ),
    );
    expect(existsSync(join(repo, 'nd'))).toBe(false);
    sluiceOk(repo, 'update', 'ne.txt.dvc', 'nd.dvc');
    expect(read(repo, 'ne.txt')).toBe(read(src, 'data/foo.txt'));
    expect(files(join(repo, 'nd'))).toEqual(['a.txt', 'sub/b.txt']);
    // New keys are appended where DVC's round-trip writer puts them.
    expect(read(repo, 'ne.txt.dvc')).toMatch(
      /\n {4}rev_lock: [0-9a-f]{40}\nouts:\n- hash: md5\n {2}path: ne.txt\n {2}md5: [0-9a-f]{32}\n {2}size: \d+\nmd5: [0-9a-f]{32}\n$/,
    );
  });

  it('pull in a fresh clone downloads imports from their repository (no remote of its own)', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import', src, 'data/dir', '-o', 'mydir', '--rev', 'v1');
    sluiceOk(repo, 'import', src, 'plain.txt');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'imports');
    const clone = join(tempDir('sluice-import-pull-'), 'c');
    git(repo, 'clone', '-q', repo, clone);
    expect(sluiceOk(clone, 'status').stdout).toContain('not in cache');
    const pulled = sluiceOk(clone, 'pull');
    expect(pulled.stdout).toContain('A       mydir/');
    expect(read(clone, 'mydir/a.txt')).toBe('aaa');
    expect(read(clone, 'plain.txt')).toBe('plain');
    expect(sluiceOk(clone, 'status').stdout).toContain('up to date');
    // push leaves imports alone, as DVC does.
    sluiceOk(clone, 'remote', 'add', '-d', 'mine', join(tempDir(), 'remote'));
    expect(sluiceOk(clone, 'push').stdout).toContain('Everything is up to date.');
  });
});

describe('get from a git repository', () => {
  it('downloads a folder and a file at a revision, with nothing tracked', () => {
    const dir = tempDir('sluice-get-');
    sluiceOk(dir, 'get', src, 'data/dir');
    expect(files(join(dir, 'dir'))).toEqual(['a.txt', 'sub/b.txt']);
    sluiceOk(dir, 'get', src, 'data/foo.txt', '-o', 'x.txt', '--rev', 'v1');
    expect(read(dir, 'x.txt')).toBe('foo');
    // Plain files, writable, not links into some cache.
    expect(statSync(join(dir, 'x.txt')).mode & 0o200).toBe(0o200);
    expect(sluice(dir, 'get', src, 'data/foo.txt', '-o', 'x.txt').code).toBe(1);
    sluiceOk(dir, 'get', '-f', src, 'data/foo.txt', '-o', 'x.txt');
    expect(read(dir, 'x.txt')).toBe(read(src, 'data/foo.txt'));
    expect(readdirSync(dir).sort()).toEqual(['dir', 'x.txt']);
  });

  it('fails with one clear line: untracked path, bad revision, missing repository', () => {
    const dir = tempDir('sluice-get-');
    const cases: Array<[string[], RegExp]> = [
      [[src, 'nothere'], /^ERROR: 'nothere' does not exist in '.*' at [0-9a-f]{7}\n/],
      [[src, 'data/foo.txt', '--rev', 'nosuch'], /^ERROR: unknown Git revision 'nosuch'\n/],
      [[join(dir, 'nosuchrepo'), 'x'], /^ERROR: failed to clone '.*nosuchrepo': .*\n/],
    ];
    for (const [args, message] of cases) {
      const result = sluice(dir, 'get', ...args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.split('\n').filter((l) => l.startsWith('ERROR')).length).toBe(1);
    }
    const repo = makeRepo('sluice');
    const failed = sluice(repo, 'import', src, 'nothere');
    expect(failed.code).toBe(1);
    expect(existsSync(join(repo, 'nothere.dvc'))).toBe(false);
    rmSync(join(repo, '.dvc', 'tmp'), { recursive: true, force: true });
  });
});
