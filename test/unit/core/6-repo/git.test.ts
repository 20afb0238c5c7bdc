import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { Git } from '../../../../src/core/6-repo/git.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
}

function write(root: string, rel: string, content: string | Buffer): void {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

let base: string;
let root: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-git-')));
  root = join(base, 'repo');
  mkdirSync(root);
  git(root, 'init', '-q', '-b', 'master');
  write(root, 'a.txt', 'one\n');
  write(root, 'dir/b.txt', 'bee\n');
  write(root, 'empty', '');
  write(root, '.gitignore', '/ignored.txt\n/data/\n*.log\n!keep.log\n');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'first');
  git(root, 'tag', 'v1');
  write(root, 'a.txt', 'two\n');
  git(root, 'commit', '-qam', 'second');
  git(root, 'branch', 'zeta');
  git(root, 'branch', 'Alpha');
  git(root, 'tag', '-a', 'v2', '-m', 'annotated');
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('Git.find', () => {
  it('finds the root from a subdirectory, keeping the caller spelling', async () => {
    const g = await Git.find(join(root, 'dir'));
    expect(g?.root).toBe(root);
    const link = join(base, 'link');
    symlinkSync(root, link);
    const viaLink = await Git.find(join(link, 'dir'));
    expect(viaLink?.root).toBe(link);
  });

  it('returns null outside a repository', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'sluice-nogit-'));
    try {
      // Guard against a stray repository in the temp dir's ancestry.
      process.env.GIT_CEILING_DIRECTORIES = tmpdir();
      expect(await Git.find(outside)).toBeNull();
    } finally {
      delete process.env.GIT_CEILING_DIRECTORIES;
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('Git queries', () => {
  let g: Git;
  beforeAll(async () => {
    g = (await Git.find(root))!;
  });
  afterAll(async () => {
    await g.close();
  });

  it('isTracked: files and directories holding tracked files', async () => {
    write(root, 'untracked.txt', 'x');
    const tracked = await g.isTracked([
      'a.txt',
      'dir',
      'dir/',
      './dir/b.txt',
      'untracked.txt',
      'nope',
    ]);
    expect([...tracked].sort()).toEqual(['./dir/b.txt', 'a.txt', 'dir', 'dir/']);
  });

  it('isIgnored: patterns, parent directories, negation, tracked paths by pattern', async () => {
    mkdirSync(join(root, 'data'), { recursive: true });
    const ignored = await g.isIgnored([
      'ignored.txt',
      'data',
      'data/inner/file.csv',
      'x.log',
      'keep.log',
      'a.txt',
      'sub/deep.log',
    ]);
    expect([...ignored].sort()).toEqual([
      'data',
      'data/inner/file.csv',
      'ignored.txt',
      'sub/deep.log',
      'x.log',
    ]);
    // A tracked file that a pattern matches counts as ignored (pattern semantics, like DVC).
    write(root, '.gitignore', '/ignored.txt\n/data/\n*.log\n!keep.log\n/a.txt\n');
    expect(await g.isIgnored(['a.txt'])).toEqual(new Set(['a.txt']));
    write(root, '.gitignore', '/ignored.txt\n/data/\n*.log\n!keep.log\n');
    expect(await g.isIgnored([])).toEqual(new Set());
  });

  it('resolves revisions and reports unknown ones like DVC', async () => {
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const first = git(root, 'rev-parse', 'HEAD~1').trim();
    expect(await g.resolveRev('HEAD')).toBe(head);
    expect(await g.resolveRev('HEAD~1')).toBe(first);
    expect(await g.resolveRev('v1')).toBe(first);
    expect(await g.resolveRev('v2')).toBe(head); // annotated tag peeled to its commit
    expect(await g.resolveRev('zeta')).toBe(head);
    expect(await g.resolveRev(first.slice(0, 10))).toBe(first);
    await expect(g.resolveRev('nonexist')).rejects.toThrow("unknown Git revision 'nonexist'");
    await expect(g.resolveRev('nonexist')).rejects.toBeInstanceOf(SluiceError);
    expect(await g.tryResolveRev('--all')).toBeNull();
  });

  it('lists branches, tags, commits; groups revisions as DVC brancher does', async () => {
    expect(await g.currentBranch()).toBe('master');
    expect(await g.listBranches()).toEqual(['Alpha', 'master', 'zeta']);
    expect(await g.listTags()).toEqual(['v1', 'v2']);
    expect(await g.listCommits()).toHaveLength(2);
    expect(await g.listCommits(1)).toHaveLength(1);
    const head = await g.resolveRev('HEAD');
    const first = await g.resolveRev('HEAD~1');
    const revs = await g.iterRevs({ allBranches: true, allTags: true });
    expect([...revs.entries()]).toEqual([
      [head, ['Alpha', 'master', 'zeta', 'v2']],
      [first, ['v1']],
    ]);
    const explicit = await g.iterRevs({ revs: ['HEAD'], num: 2 });
    expect([...explicit.entries()]).toEqual([
      [head, ['HEAD']],
      [first, [first]],
    ]);
    await expect(g.iterRevs({ revs: ['nope'] })).rejects.toThrow("unknown Git revision 'nope'");
  });

  it('isDirty', async () => {
    expect(await g.isDirty()).toBe(false);
    expect(await g.isDirty({ untrackedFiles: true })).toBe(true); // untracked.txt
    write(root, 'a.txt', 'changed\n');
    expect(await g.isDirty()).toBe(true);
    git(root, 'checkout', '-q', '--', 'a.txt');
  });

  it('lsTree, whole and limited to a folder', async () => {
    const all = await g.lsTree('HEAD');
    expect(all.map((e) => e.path).sort()).toEqual(['.gitignore', 'a.txt', 'dir/b.txt', 'empty']);
    expect(all.find((e) => e.path === 'a.txt')).toMatchObject({ mode: '100644', type: 'blob' });
    const sub = await g.lsTree('v1', 'dir');
    expect(sub.map((e) => e.path)).toEqual(['dir/b.txt']);
  });

  it('add stages files, also with glob characters in the name', async () => {
    write(root, 'we*ird[1].txt', 'w');
    write(root, 'weirdX.txt', 'x');
    await g.add(['we*ird[1].txt']);
    const staged = git(root, 'diff', '--cached', '--name-only').trim().split('\n');
    expect(staged).toEqual(['we*ird[1].txt']);
    git(root, 'reset', '-q');
  });

  it('reads blobs: content, missing, trees, empty files', async () => {
    const [one, two, missing, tree, empty, badRev] = await g.readBlobs([
      { rev: 'HEAD~1', path: 'a.txt' },
      { rev: 'HEAD', path: 'a.txt' },
      { rev: 'HEAD', path: 'nope.txt' },
      { rev: 'HEAD', path: 'dir' },
      { rev: 'HEAD', path: 'empty' },
      { rev: 'nonexist', path: 'a.txt' },
    ]);
    expect(one?.toString()).toBe('one\n');
    expect(two?.toString()).toBe('two\n');
    expect(missing).toBeNull();
    expect(tree).toBeNull();
    expect(empty).toEqual(Buffer.alloc(0));
    expect(badRev).toBeNull();
    expect((await g.readBlob('v1', './dir/b.txt'))?.toString()).toBe('bee\n');
  });
});

describe('Git blob reader performance', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(base, 'many');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    // 200 commits × 4 files, one of them 256 KiB, through fast-import.
    const big = Buffer.alloc(256 * 1024, 7);
    const parts: Buffer[] = [];
    for (let i = 1; i <= 200; i++) {
      parts.push(
        Buffer.from(`commit refs/heads/main\ncommitter t <t@e> ${1_600_000_000 + i} +0000\n`),
      );
      parts.push(Buffer.from(`data 2\nc\n`));
      for (const [name, content] of [
        ['metrics.json', Buffer.from(JSON.stringify({ acc: i / 1000, step: i }))],
        ['params.yaml', Buffer.from(`lr: ${i}\n`)],
        ['sub/m.yaml', Buffer.from(`${i}\n`)],
        ['big.bin', Buffer.concat([big, Buffer.from(String(i))])],
      ] as const) {
        parts.push(Buffer.from(`M 100644 inline ${name}\ndata ${content.length}\n`));
        parts.push(content, Buffer.from('\n'));
      }
    }
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: Buffer.concat(parts) });
    git(repo, 'checkout', '-q', 'main');
  });

  it('reads 800 blobs from 200 commits quickly and correctly', async () => {
    const g = (await Git.find(repo))!;
    const commits = await g.listCommits();
    expect(commits).toHaveLength(200);
    const items = commits.flatMap((rev) =>
      ['metrics.json', 'params.yaml', 'sub/m.yaml', 'big.bin'].map((path) => ({ rev, path })),
    );
    const started = performance.now();
    const blobs = await g.readBlobs(items);
    const elapsed = performance.now() - started;
    await g.close();
    // Newest first: commit 200 is at index 0.
    expect(JSON.parse(blobs[0]!.toString())).toEqual({ acc: 0.2, step: 200 });
    expect(blobs[4 * 199 + 2]!.toString()).toBe('1\n');
    const lastBig = blobs[4 * 199 + 3]!;
    expect(lastBig.length).toBe(256 * 1024 + 1);
    expect(lastBig.subarray(-1).toString()).toBe('1');
    expect(elapsed).toBeLessThan(5000);
  });

  it('close() ends the process; the Git object can read again afterwards', async () => {
    const g = (await Git.find(repo))!;
    expect((await g.readBlob('main', 'params.yaml'))?.toString()).toBe('lr: 200\n');
    await g.close();
    expect((await g.readBlob('main~1', 'params.yaml'))?.toString()).toBe('lr: 199\n');
    await g.close();
  });
});
