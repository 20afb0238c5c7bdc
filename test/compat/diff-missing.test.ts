import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, dvcOk, git, makeRepo, sluiceOk, writeTree } from '../helpers/sandbox.js';

/**
 * `diff REV` against the workspace, when the old side's data is not in the cache (a folder
 * included) and when its outputs are declared in dvc.yaml but have no hash in dvc.lock.
 */

afterEach(() => cleanupSandboxes());

function sameJson(root: string, ...args: string[]): unknown {
  const d = JSON.parse(dvcOk(root, ...args).stdout) as unknown;
  const s = JSON.parse(sluiceOk(root, ...args).stdout) as unknown;
  expect(s).toEqual(d);
  return s;
}

function sameText(root: string, ...args: string[]): void {
  expect(sluiceOk(root, ...args).stdout).toBe(dvcOk(root, ...args).stdout);
}

describe('diff: not in cache', () => {
  function committedData(): string {
    const root = makeRepo('dvc');
    writeTree(root, { 'dir/a': 'a', 'dir/b': 'b', 'f.txt': 'f' });
    dvcOk(root, 'add', 'dir', 'f.txt');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'data');
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    return root;
  }

  it('a folder whose listing is gone is reported not in cache', () => {
    const root = committedData();
    writeTree(root, { 'dir/c': 'c' });
    const r = sameJson(root, 'diff', 'HEAD', '--json') as Record<string, unknown>;
    expect(r['not in cache']).toEqual([{ path: 'dir/' }, { path: 'f.txt' }]);
    sameJson(root, 'diff', '--show-hash', '--json');
    sameText(root, 'diff', 'HEAD');
  });

  it('and when the workspace copies are deleted too', () => {
    const root = committedData();
    rmSync(join(root, 'dir'), { recursive: true });
    rmSync(join(root, 'f.txt'));
    sameJson(root, 'diff', 'HEAD', '--json');
    sameJson(root, 'diff', '--show-hash', '--json');
    sameText(root, 'diff');
  });
});

describe('diff: outputs declared without a hash', () => {
  function declared(): string {
    const root = makeRepo('dvc');
    dvcOk(
      root,
      'stage',
      'add',
      '-n',
      's',
      '-o',
      'out.txt',
      '-o',
      'outd',
      'echo x > out.txt; mkdir -p outd; echo y > outd/y',
    );
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'stage');
    return root;
  }

  it('outputs not yet produced are deleted', () => {
    const root = declared();
    const r = sameJson(root, 'diff', 'HEAD', '--json') as Record<string, unknown>;
    expect(r['deleted']).toEqual([{ path: 'out.txt' }, { path: 'outd' }]);
    sameJson(root, 'diff', 'HEAD~1', '--json');
    sameText(root, 'diff');
  });

  it('outputs produced since are modified (and the folder has no slash)', () => {
    const root = declared();
    dvcOk(root, 'repro');
    const r = sameJson(root, 'diff', '--json') as Record<string, unknown>;
    expect(r['modified']).toEqual([{ path: 'out.txt' }, { path: 'outd' }]);
    sameJson(root, 'diff', '--json', '--show-hash');
    sameText(root, 'diff');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'ran');
    sameJson(root, 'diff', 'HEAD~1', 'HEAD', '--json', '--show-hash');
    sameJson(root, 'diff', 'HEAD', 'HEAD~1', '--json', '--show-hash');
  });
});
