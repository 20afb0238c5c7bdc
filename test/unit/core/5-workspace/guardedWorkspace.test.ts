import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { Linker } from '../../../../src/core/3-objects/link.js';
import {
  assertWorkspacePath,
  GuardedWorkspace,
  workspacePathProblem,
} from '../../../../src/core/5-workspace/guardedWorkspace.js';

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

/** A sandbox holding a repository (`repo/`, with .git and .dvc) and a sibling `outside/`. */
function sandbox(): { repo: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'sluice-guard-'));
  sandboxes.push(base);
  const repo = join(base, 'repo');
  const outside = join(base, 'outside');
  for (const dir of [repo, outside, join(repo, '.git'), join(repo, '.dvc'), join(repo, 'data')]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(join(outside, 'victim.txt'), 'outside');
  writeFileSync(join(repo, '.git', 'config'), 'git');
  writeFileSync(join(repo, 'data', 'a.txt'), 'a');
  symlinkSync(outside, join(repo, 'link'));
  symlinkSync(join(repo, '.git'), join(repo, 'gitlink'));
  symlinkSync(repo, join(repo, 'self'));
  symlinkSync(join(repo, 'data'), join(repo, 'datalink'));
  return { repo, outside };
}

function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'BAD_PATH') return true;
    throw error;
  }
}

describe('workspacePathProblem', () => {
  it.each([
    '',
    '.',
    './',
    'a/..',
    '..',
    '../x',
    '/etc/passwd',
    'a//b',
    'a/./b',
    '.git',
    'x/.git/config',
    '.GIT/hooks',
    '.dvc',
    '.dvc/config',
    '.Dvc/cache',
    'a\0b',
  ])('refuses %j', (path) => {
    expect(workspacePathProblem(path)).toBeDefined();
  });

  it.each([
    'a',
    'data/a.txt',
    'sub/.dvc',
    '.gitignore',
    '.dvcignore',
    'x.git',
    '.github/workflows/a',
  ])('allows %j', (path) => {
    expect(workspacePathProblem(path)).toBeUndefined();
  });
});

describe('GuardedWorkspace', () => {
  it('refuses to write through a symlink that leads outside, into .git, or to the root', () => {
    const { repo, outside } = sandbox();
    const ws = new GuardedWorkspace(repo);
    expect(refused(() => ws.writeFileSync('link/victim.txt', 'x'))).toBe(true);
    expect(refused(() => ws.remove('link/victim.txt'))).toBe(true);
    expect(refused(() => ws.writeFileSync('gitlink/config', 'x'))).toBe(true);
    expect(refused(() => ws.remove('self/.git', { recursive: true }))).toBe(true);
    expect(refused(() => ws.remove('self/data', { recursive: true }))).toBe(false);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('outside');
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).toBe('git');
  });

  it('writes through a symlink that stays inside the repository', () => {
    const { repo } = sandbox();
    const ws = new GuardedWorkspace(repo);
    ws.writeFileSync('datalink/b.txt', 'b');
    expect(readFileSync(join(repo, 'data', 'b.txt'), 'utf8')).toBe('b');
  });

  it('removes a symlink itself, never what it points at', () => {
    const { repo, outside } = sandbox();
    const ws = new GuardedWorkspace(repo);
    ws.remove('link', { recursive: true });
    expect(existsSync(join(repo, 'link'))).toBe(false);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('outside');
  });

  it('makes missing folders below a checked folder', () => {
    const { repo } = sandbox();
    const ws = new GuardedWorkspace(repo);
    ws.mkdir('new/deep/folder');
    ws.writeFileSync('new/deep/folder/f', 'f');
    expect(readFileSync(join(repo, 'new', 'deep', 'folder', 'f'), 'utf8')).toBe('f');
    expect(refused(() => ws.mkdir('link/new'))).toBe(true);
    expect(existsSync(join(sandboxes.at(-1) ?? '', 'outside', 'new'))).toBe(false);
  });

  it('never resolves a generated path outside the repository, into .git or .dvc, or to the root', () => {
    const { repo } = sandbox();
    const ws = new GuardedWorkspace(repo);
    const segment = fc.oneof(
      fc.constantFrom(
        '.',
        '..',
        '',
        '.git',
        '.GIT',
        '.dvc',
        'link',
        'gitlink',
        'self',
        'datalink',
        'data',
        'a.txt',
      ),
      fc.string({ minLength: 1, maxLength: 4 }).filter((s) => !s.includes('/')),
    );
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 0, maxLength: 5 }),
        fc.boolean(),
        (segments, absolute) => {
          const path = (absolute ? '/' : '') + segments.join('/');
          let abs: string;
          try {
            abs = ws.resolve(path);
          } catch (error) {
            if (error instanceof SluiceError && error.code === 'BAD_PATH') return;
            throw error;
          }
          const rel = relative(repo, resolve(abs));
          expect(rel).not.toBe('');
          expect(rel.startsWith('..')).toBe(false);
          const first = rel.split('/')[0]?.toLowerCase();
          expect(first === '.git' || first === '.dvc').toBe(false);
          // The deepest folder that exists above it, symlinks resolved, is inside and not in .git.
          let folder = dirname(abs);
          while (!existsSync(folder)) folder = dirname(folder);
          const real = relative(realpathSync(repo), realpathSync(folder));
          expect(real.startsWith('..')).toBe(false);
          expect(real.split('/').some((s) => s.toLowerCase() === '.git')).toBe(false);
        },
      ),
      { seed: 20261207, numRuns: 2000 },
    );
  });
});

/** The message of the SluiceError `fn` throws (fails the test if it throws none). */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SluiceError) return `${error.code}: ${error.message} | ${error.hint}`;
    throw error;
  }
  throw new Error('no error thrown');
}

const SYMLINK_HINT =
  'a symlink in the repository points elsewhere; remove it and run the command again';
const METAFILE_HINT = 'a metafile names a path Sluice never writes; fix or remove that entry';

describe('workspacePathProblem and assertWorkspacePath: the words', () => {
  it.each([
    ['', 'it names the repository itself'],
    ['.', 'it names the repository itself'],
    ['a\0b', 'it contains a NUL character'],
    ['/etc/passwd', 'it is absolute'],
    ['a/', 'it is not a plain relative path'],
    ['a//b', 'it is not a plain relative path'],
    ['a/./b', 'it is not a plain relative path'],
    ['a/..', 'it is not a plain relative path'],
    ['x/.Git/config', 'it is inside .git'],
    ['.DVC/config', 'it is inside .dvc'],
  ])('%j: %s', (path, problem) => {
    expect(workspacePathProblem(path)).toBe(problem);
  });

  it('names the path (the root as .) and the metafile it came from', () => {
    expect(messageOf(() => assertWorkspacePath('x/.git'))).toBe(
      `BAD_PATH: refusing to write 'x/.git': it is inside .git | ${METAFILE_HINT}`,
    );
    expect(messageOf(() => assertWorkspacePath('', 'dvc.lock'))).toBe(
      `BAD_PATH: 'dvc.lock': refusing to write '.': it names the repository itself | ${METAFILE_HINT}`,
    );
    expect(() => assertWorkspacePath('data/a.txt', 'dvc.lock')).not.toThrow();
  });
});

describe('GuardedWorkspace: refusals name the symlink', () => {
  it('names the first symlink on the way and where it leads', () => {
    const { repo, outside } = sandbox();
    mkdirSync(join(repo, 'sub', '.Git'), { recursive: true });
    mkdirSync(join(outside, 'deep'));
    symlinkSync(join(repo, '.dvc'), join(repo, 'dvclink'));
    symlinkSync(join(repo, 'sub', '.Git'), join(repo, 'data', 'subgit'));
    symlinkSync(outside, join(repo, 'data', 'out'));
    const ws = new GuardedWorkspace(repo);
    expect(messageOf(() => ws.writeFileSync('link/victim.txt', 'x'))).toBe(
      `BAD_PATH: refusing to write 'link/victim.txt': the symlink 'link' leads it outside the repository | ${SYMLINK_HINT}`,
    );
    expect(messageOf(() => ws.resolve('data/out/deep/x'))).toBe(
      `BAD_PATH: refusing to write 'data/out/deep/x': the symlink 'data/out' leads it outside the repository | ${SYMLINK_HINT}`,
    );
    // The first symlink is named, not one met further on.
    symlinkSync(join(outside, 'deep'), join(outside, 'hop'));
    expect(messageOf(() => ws.resolve('data/out/hop/x'))).toBe(
      `BAD_PATH: refusing to write 'data/out/hop/x': the symlink 'data/out' leads it outside the repository | ${SYMLINK_HINT}`,
    );
    // A missing part below the symlink: the existing part is what is checked.
    expect(messageOf(() => ws.resolve('link/missing/deeper/x'))).toBe(
      `BAD_PATH: refusing to write 'link/missing/deeper/x': the symlink 'link' leads it outside the repository | ${SYMLINK_HINT}`,
    );
    expect(messageOf(() => ws.resolve('dvclink/config'))).toBe(
      `BAD_PATH: refusing to write 'dvclink/config': the symlink 'dvclink' leads it into .git or .dvc | ${SYMLINK_HINT}`,
    );
    expect(messageOf(() => ws.resolve('gitlink/hooks/x'))).toBe(
      `BAD_PATH: refusing to write 'gitlink/hooks/x': the symlink 'gitlink' leads it into .git or .dvc | ${SYMLINK_HINT}`,
    );
    // A .git folder deeper down (a submodule's), in any letter case.
    expect(messageOf(() => ws.resolve('data/subgit/x'))).toBe(
      `BAD_PATH: refusing to write 'data/subgit/x': the symlink 'data/subgit' leads it into a .git folder | ${SYMLINK_HINT}`,
    );
  });

  it('a sibling folder whose name starts with the repository name is outside', () => {
    const { repo } = sandbox();
    const sibling = `${repo}-other`;
    mkdirSync(sibling);
    symlinkSync(sibling, join(repo, 'sib'));
    const ws = new GuardedWorkspace(repo);
    expect(refused(() => ws.resolve('sib/x'))).toBe(true);
    // The repository itself (a symlink to it) is inside.
    expect(ws.resolve('self/data/x')).toBe(join(repo, 'self', 'data', 'x'));
  });

  it('a symlink loop is an error of its own, not a missing folder', () => {
    const { repo } = sandbox();
    symlinkSync('loop', join(repo, 'loop'));
    const ws = new GuardedWorkspace(repo);
    expect(() => ws.resolve('loop/x')).toThrow(/ELOOP/);
  });

  it('a path through a file resolves (the write fails later, by the file system)', () => {
    const { repo } = sandbox();
    const ws = new GuardedWorkspace(repo);
    expect(ws.resolve('data/a.txt/x/y')).toBe(join(repo, 'data', 'a.txt', 'x', 'y'));
    expect(() => ws.writeFileSync('data/a.txt/x/y', 'y')).toThrow(/ENOTDIR/);
  });
});

describe('GuardedWorkspace: folders checked once are checked again after a change', () => {
  it('a folder removed and replaced by a symlink leading outside is refused', () => {
    const { repo, outside } = sandbox();
    mkdirSync(join(outside, 'b'));
    const ws = new GuardedWorkspace(repo);
    ws.mkdir('a/b');
    ws.writeFileSync('a/f', 'f');
    ws.writeFileSync('a/b/f', 'f');
    ws.remove('a', { recursive: true });
    expect(existsSync(join(repo, 'a'))).toBe(false);
    symlinkSync(outside, join(repo, 'a'));
    expect(refused(() => ws.writeFileSync('a/f', 'x'))).toBe(true);
    expect(refused(() => ws.writeFileSync('a/b/f', 'x'))).toBe(true);
    expect(existsSync(join(outside, 'f'))).toBe(false);
    expect(existsSync(join(outside, 'b', 'f'))).toBe(false);
  });

  it('a folder renamed away and replaced by a symlink leading outside is refused', () => {
    const { repo, outside } = sandbox();
    mkdirSync(join(outside, 'b'));
    const ws = new GuardedWorkspace(repo);
    ws.mkdir('a/b');
    ws.writeFileSync('a/b/f', 'f');
    ws.rename('a', 'moved');
    expect(readFileSync(join(repo, 'moved', 'b', 'f'), 'utf8')).toBe('f');
    symlinkSync(outside, join(repo, 'a'));
    expect(refused(() => ws.writeFileSync('a/b/f', 'x'))).toBe(true);
    // Both ends are checked.
    expect(refused(() => ws.rename('moved/b/f', 'link/f'))).toBe(true);
    expect(refused(() => ws.rename('link/victim.txt', 'stolen.txt'))).toBe(true);
    expect(existsSync(join(outside, 'victim.txt'))).toBe(true);
  });

  it('remove: a file, nothing, a folder only when recursive', () => {
    const { repo } = sandbox();
    const ws = new GuardedWorkspace(repo);
    ws.remove('data/a.txt');
    expect(existsSync(join(repo, 'data', 'a.txt'))).toBe(false);
    expect(() => ws.remove('data/a.txt')).not.toThrow();
    ws.writeFileSync('data/b.txt', 'b');
    expect(() => ws.remove('data')).toThrow();
    expect(existsSync(join(repo, 'data', 'b.txt'))).toBe(true);
    ws.remove('data', { recursive: true });
    expect(existsSync(join(repo, 'data'))).toBe(false);
  });
});

describe('GuardedWorkspace: the other changes', () => {
  it('writeFile (async) writes through the same checks', async () => {
    const { repo, outside } = sandbox();
    const ws = new GuardedWorkspace(repo);
    await ws.writeFile('data/w.txt', 'w');
    expect(readFileSync(join(repo, 'data', 'w.txt'), 'utf8')).toBe('w');
    await expect(ws.writeFile('link/victim.txt', 'x')).rejects.toThrow(/outside the repository/);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('outside');
  });

  it('mkdir refuses a symlink where a folder should be', () => {
    const { repo } = sandbox();
    const ws = new GuardedWorkspace(repo);
    expect(messageOf(() => ws.mkdir('datalink'))).toBe(
      `BAD_PATH: refusing to write 'datalink': it is not a folder | ${SYMLINK_HINT}`,
    );
    expect(ws.mkdir('data')).toBe(join(repo, 'data'));
  });

  it('replaceWithCopy turns a hard link into a file of its own, with the mode given', () => {
    const { repo, outside } = sandbox();
    const ws = new GuardedWorkspace(repo);
    linkSync(join(outside, 'victim.txt'), join(repo, 'data', 'linked.txt'));
    ws.replaceWithCopy('data/linked.txt', 0o640);
    const stats = statSync(join(repo, 'data', 'linked.txt'));
    expect(stats.ino).not.toBe(statSync(join(outside, 'victim.txt')).ino);
    expect(stats.mode & 0o777).toBe(0o640);
    expect(readFileSync(join(repo, 'data', 'linked.txt'), 'utf8')).toBe('outside');
    // A missing file: its own error, and no temporary left.
    let path: unknown;
    try {
      ws.replaceWithCopy('data/missing.txt', 0o644);
    } catch (error) {
      path = (error as NodeJS.ErrnoException).path;
    }
    expect(path).toBe(join(repo, 'data', 'missing.txt'));
    expect(readdirSync(join(repo, 'data')).sort()).toEqual(['a.txt', 'linked.txt']);
  });

  it('copyIn copies a file or a folder in, making its folder, and never replaces', () => {
    const { repo, outside } = sandbox();
    mkdirSync(join(outside, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(outside, 'tree', 'sub', 'f'), 'f');
    const ws = new GuardedWorkspace(repo);
    ws.copyIn(join(outside, 'victim.txt'), 'top.txt');
    expect(readFileSync(join(repo, 'top.txt'), 'utf8')).toBe('outside');
    ws.copyIn(join(outside, 'tree'), 'new/place/tree');
    expect(readFileSync(join(repo, 'new', 'place', 'tree', 'sub', 'f'), 'utf8')).toBe('f');
    expect(messageOf(() => ws.copyIn(join(outside, 'victim.txt'), 'data/a.txt'))).toBe(
      "ALREADY_EXISTS: 'data/a.txt' already exists | choose another name with -o, or remove it first",
    );
    expect(readFileSync(join(repo, 'data', 'a.txt'), 'utf8')).toBe('a');
    expect(refused(() => ws.copyIn(join(outside, 'victim.txt'), 'link/copy.txt'))).toBe(true);
  });

  it('placeObject links or copies a cache object; chmod; lstat', () => {
    const { repo, outside } = sandbox();
    const ws = new GuardedWorkspace(repo);
    const abs = ws.placeObject(new Linker(['copy']), join(outside, 'victim.txt'), 'data/o', false);
    expect(abs).toBe(join(repo, 'data', 'o'));
    expect(readFileSync(abs, 'utf8')).toBe('outside');
    expect(refused(() => ws.placeObject(new Linker(['copy']), abs, 'link/o', false))).toBe(true);
    ws.chmod('data/o', 0o600);
    expect(statSync(abs).mode & 0o777).toBe(0o600);
    expect(refused(() => ws.chmod('link/victim.txt', 0o777))).toBe(true);
    expect(ws.lstat('data/o')?.isFile()).toBe(true);
    expect(ws.lstat('datalink')?.isSymbolicLink()).toBe(true);
    expect(ws.lstat('data/none')).toBeUndefined();
    expect(refused(() => ws.lstat('link/victim.txt'))).toBe(true);
  });

  it('removeEmptyFolders removes empty folders below, never follows a symlink', () => {
    const { repo, outside } = sandbox();
    mkdirSync(join(outside, 'empty'));
    const ws = new GuardedWorkspace(repo);
    for (const d of ['t/a/b/c', 't/d', 't/e/f']) mkdirSync(join(repo, d), { recursive: true });
    writeFileSync(join(repo, 't', 'd', 'keep'), 'k');
    symlinkSync(join(outside, 'empty'), join(repo, 't', 'e', 'ln'));
    expect(ws.removeEmptyFolders('t')).toBe(false);
    expect(existsSync(join(repo, 't', 'a'))).toBe(false);
    expect(readdirSync(join(repo, 't')).sort()).toEqual(['d', 'e']);
    expect(existsSync(join(outside, 'empty'))).toBe(true);
    expect(existsSync(join(repo, 't', 'e', 'ln'))).toBe(true);
    rmSync(join(repo, 't', 'e', 'ln'));
    expect(ws.removeEmptyFolders('t')).toBe(false);
    expect(readdirSync(join(repo, 't'))).toEqual(['d']);
    rmSync(join(repo, 't', 'd', 'keep'));
    writeFileSync(join(repo, 't', 'top'), 't');
    expect(ws.removeEmptyFolders('t')).toBe(false);
    expect(readdirSync(join(repo, 't'))).toEqual(['top']);
    rmSync(join(repo, 't', 'top'));
    mkdirSync(join(repo, 't', 'd'));
    expect(ws.removeEmptyFolders('t')).toBe(true);
    expect(readdirSync(join(repo, 't'))).toEqual([]);
    // Nothing there: empty. A file: an error.
    expect(ws.removeEmptyFolders('gone')).toBe(true);
    expect(() => ws.removeEmptyFolders('data/a.txt')).toThrow(/ENOTDIR/);
  });
});
