import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  sluice,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * The safety promises of the guarded workspace path, through the real CLI: unsaved work is never
 * overwritten without -f, and a hostile metafile or symlink never makes Sluice write or delete the
 * repository itself, .git, .dvc, or anything outside.
 */

afterEach(() => cleanupSandboxes());

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** A repository with data.txt and the folder d/ tracked and committed. */
function trackedRepo(): string {
  const dir = makeRepo('sluice');
  writeTree(dir, { 'data.txt': 'hello\n', 'd/a.csv': 'a\n', 'd/b.csv': 'b\n' });
  sluiceOk(dir, 'add', 'data.txt', 'd');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'track');
  return dir;
}

/** Names, bytes and symlink targets of every file under `dir` (Sluice's own .dvc/tmp aside). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (path === '.dvc/tmp') continue;
      if (entry.isSymbolicLink()) out[path] = `-> ${path}`;
      else if (entry.isDirectory()) walk(path);
      else out[path] = md5(readFileSync(join(dir, path), 'utf8'));
    }
  };
  walk('');
  return out;
}

describe('unsaved work is never overwritten without -f', () => {
  it('checkout refuses to replace an edited file, changes nothing, and -f replaces it', () => {
    const dir = trackedRepo();
    writeFileSync(join(dir, 'data.txt'), 'my unsaved edit\n');
    writeFileSync(join(dir, 'd', 'new.csv'), 'new\n');
    rmSync(join(dir, 'd', 'a.csv'));
    const refused = sluice(dir, 'checkout');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain("Can't remove the following unsaved files");
    expect(refused.stderr).toContain(join(dir, 'data.txt'));
    expect(refused.stderr).toContain(join(dir, 'd', 'new.csv'));
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('my unsaved edit\n');
    expect(readFileSync(join(dir, 'd', 'new.csv'), 'utf8')).toBe('new\n');
    // Nothing else changed either: the deleted file is not restored by a refused checkout.
    expect(existsSync(join(dir, 'd', 'a.csv'))).toBe(false);

    const forced = sluiceOk(dir, 'checkout', '-f');
    expect(forced.stdout).toContain('M       data.txt');
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('hello\n');
    expect(existsSync(join(dir, 'd', 'new.csv'))).toBe(false);
    expect(readFileSync(join(dir, 'd', 'a.csv'), 'utf8')).toBe('a\n');
  });

  it('checkout replaces without asking a file whose content is in the cache', () => {
    const dir = trackedRepo();
    writeFileSync(join(dir, 'data.txt'), 'v2\n');
    sluiceOk(dir, 'add', 'data.txt');
    git(dir, 'commit', '-q', '-am', 'v2');
    // The workspace now holds the first version again, which the cache has.
    writeFileSync(join(dir, 'data.txt'), 'hello\n');
    sluiceOk(dir, 'checkout');
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('v2\n');
  });

  it('pull refuses too, and keeps the edit', () => {
    const dir = trackedRepo();
    const remote = tempDir('sluice-remote-');
    sluiceOk(dir, 'remote', 'add', '-d', 'store', remote);
    sluiceOk(dir, 'push');
    writeFileSync(join(dir, 'data.txt'), 'my unsaved edit\n');
    const refused = sluice(dir, 'pull');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(join(dir, 'data.txt'));
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('my unsaved edit\n');
    sluiceOk(dir, 'pull', '-f');
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('hello\n');
  });

  it('remove --outs keeps unsaved content unless -f', () => {
    const dir = trackedRepo();
    writeFileSync(join(dir, 'data.txt'), 'my unsaved edit\n');
    const refused = sluice(dir, 'remove', '--outs', 'data.txt.dvc');
    expect(refused.code).not.toBe(0);
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('my unsaved edit\n');
    expect(existsSync(join(dir, 'data.txt.dvc'))).toBe(true);
    // Saved content goes without a question.
    sluiceOk(dir, 'remove', '--outs', 'd.dvc');
    expect(existsSync(join(dir, 'd'))).toBe(false);
    sluiceOk(dir, 'remove', '--outs', '-f', 'data.txt.dvc');
    expect(existsSync(join(dir, 'data.txt'))).toBe(false);
  });

  it('repro refuses to delete an output edited by hand since its stage ran, unless -f', () => {
    const dir = makeRepo('sluice', { 'in.txt': 'in\n' });
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      'copy',
      '-d',
      'in.txt',
      '-o',
      'out.txt',
      'cp in.txt out.txt',
    );
    sluiceOk(dir, 'repro');
    writeFileSync(join(dir, 'out.txt'), 'hand-made result\n');
    writeFileSync(join(dir, 'in.txt'), 'in 2\n');
    const refused = sluice(dir, 'repro');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(join(dir, 'out.txt'));
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hand-made result\n');
    sluiceOk(dir, 'repro', '-f');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('in 2\n');
    // An output the stage made itself is replaced without a question.
    writeFileSync(join(dir, 'in.txt'), 'in 3\n');
    sluiceOk(dir, 'repro');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('in 3\n');
  });

  it('repro deletes without asking what a failed run of the stage left', () => {
    const dir = makeRepo('sluice', { 'in.txt': 'in\n' });
    const cmd =
      "node -e \"require('fs').writeFileSync('out.txt', 'partial'); if (require('fs').readFileSync('in.txt', 'utf8').includes('bad')) process.exit(3); require('fs').copyFileSync('in.txt', 'out.txt')\"";
    sluiceOk(dir, 'stage', 'add', '-n', 'copy', '-d', 'in.txt', '-o', 'out.txt', cmd);
    sluiceOk(dir, 'repro');
    writeFileSync(join(dir, 'in.txt'), 'bad\n');
    expect(sluice(dir, 'repro').code).not.toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('partial');
    writeFileSync(join(dir, 'in.txt'), 'good\n');
    sluiceOk(dir, 'repro');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('good\n');
  });

  it('repro never deletes a committed file that a stage which never ran names as its output', () => {
    const dir = makeRepo('sluice', { 'README.md': 'my notes\n', 'in.txt': 'in\n' });
    // Written by hand (or by another tool): `stage add` itself refuses such an output.
    writeTree(dir, {
      'dvc.yaml':
        'stages:\n  gen:\n    cmd: cp in.txt README.md\n    deps:\n    - in.txt\n    outs:\n    - README.md\n',
    });
    const refused = sluice(dir, 'repro');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("output 'README.md' is already tracked by SCM");
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('my notes\n');
  });

  it('move never replaces an existing destination', () => {
    const dir = trackedRepo();
    writeFileSync(join(dir, 'other.txt'), 'precious\n');
    const refused = sluice(dir, 'move', 'data.txt', 'other.txt');
    expect(refused.code).not.toBe(0);
    expect(readFileSync(join(dir, 'other.txt'), 'utf8')).toBe('precious\n');
    expect(readFileSync(join(dir, 'data.txt'), 'utf8')).toBe('hello\n');
  });
});

describe('a hostile metafile never touches the repository itself, .git or .dvc', () => {
  const rootPaths = ['.', './', 'sub/..', ''];
  it.each(rootPaths)('a .dvc output path %j is refused before any work', (path) => {
    const dir = trackedRepo();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(
      join(dir, 'evil.dvc'),
      `outs:\n- md5: ${md5('hello\n')}\n  size: 6\n  hash: md5\n  path: '${path}'\n`,
    );
    const before = snapshot(dir);
    for (const args of [['checkout'], ['checkout', '-f'], ['pull', '-f'], ['status']]) {
      const result = sluice(dir, ...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr).toMatch(/ERROR: 'evil\.dvc': refusing to write/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('a dvc.lock output naming the repository is refused, and .git survives two checkouts', () => {
    const dir = makeRepo('sluice', { 'in.txt': 'in\n' });
    writeTree(dir, {
      'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    outs:\n    - .\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    outs:\n    - path: .\n      hash: md5\n      md5: ${md5('x')}.dir\n`,
    });
    const before = snapshot(dir);
    for (let i = 0; i < 2; i += 1) {
      const result = sluice(dir, 'checkout', '-f');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('refusing to write');
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it.each(['.git', '.dvc', '.git/config', 'sub/../.git'])(
    'remove --outs of an output %j is refused',
    (path) => {
      const dir = trackedRepo();
      writeFileSync(join(dir, 'evil.dvc'), `outs:\n- md5: ${md5('x')}\n  path: ${path}\n`);
      const before = snapshot(dir);
      const result = sluice(dir, 'remove', '--outs', '-f', 'evil.dvc');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('refusing to write');
      expect(snapshot(dir)).toEqual(before);
    },
  );
});

describe('a committed symlink never lets Sluice change files outside the repository', () => {
  function repoWithLink(): { dir: string; outside: string } {
    const dir = trackedRepo();
    const outside = tempDir('sluice-outside-');
    writeFileSync(join(outside, 'victim.txt'), 'outside data\n');
    writeFileSync(join(outside, '.gitignore'), '/keep\n/victim.txt\n');
    // The victim's content is in the cache, so only the symlink stands between it and removal.
    writeFileSync(join(dir, 'copy.txt'), 'outside data\n');
    sluiceOk(dir, 'add', 'copy.txt');
    symlinkSync(outside, join(dir, 'link'));
    writeFileSync(
      join(dir, 'v.dvc'),
      `outs:\n- md5: ${md5('outside data\n')}\n  size: 13\n  hash: md5\n  path: link/victim.txt\n`,
    );
    return { dir, outside };
  }

  it.each([
    ['remove', 'v.dvc'],
    ['remove', '--outs', 'v.dvc'],
    ['remove', '--outs', '-f', 'v.dvc'],
    ['checkout', '-f'],
    ['pull', '-f'],
    ['commit', '-f'],
    ['add', 'link/victim.txt'],
  ])('%s %s leaves the outside folder as it was', (...args) => {
    const { dir, outside } = repoWithLink();
    const before = snapshot(outside);
    const result = sluice(dir, ...args);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(outside)).toEqual(before);
  });
});
