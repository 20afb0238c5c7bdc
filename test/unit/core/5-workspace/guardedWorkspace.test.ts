import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import {
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
