import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  dvcOk,
  git,
  makeRepo,
  sluice,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/** A repo made by one tool, read or restored by the other. */

afterEach(() => cleanupSandboxes());

const UP_TO_DATE = 'Data and pipelines are up to date.';

const tree = {
  foo: 'foo',
  bar: 'bar',
  'dir/a': 'a',
  'dir/sub/b': 'b',
  'dir/😀.txt': 'emoji',
  'crlf.txt': 'x\r\ny\r\n',
};
const targets = ['foo', 'bar', 'dir', 'crlf.txt'];

function populated(tool: 'sluice' | 'dvc'): string {
  const root = makeRepo(tool);
  writeTree(root, tree);
  chmodSync(join(root, 'bar'), 0o755);
  if (tool === 'sluice') sluiceOk(root, 'add', ...targets);
  else dvcOk(root, 'add', ...targets);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'data');
  return root;
}

function statusJson(result: { code: number; stdout: string; stderr: string }): unknown {
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as unknown;
}

describe('cross status', () => {
  it('a repo made by sluice is up to date for dvc', () => {
    const root = populated('sluice');
    const result = dvc(root, 'status');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(UP_TO_DATE);
  });

  it('a repo made by dvc is up to date for sluice', () => {
    const root = populated('dvc');
    const result = sluice(root, 'status');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(UP_TO_DATE);
    expect(sluice(root, 'status', '--json').stdout.trim()).toBe('{}');
    expect(dvc(root, 'status', '--json').stdout.trim()).toBe('{}');
  });

  for (const tool of ['sluice', 'dvc'] as const) {
    it(`after changes in a repo made by ${tool}, both report the same status --json`, () => {
      const root = populated(tool);
      writeTree(root, { foo: 'foo v2', 'dir/sub/b': 'b v2' });
      rmSync(join(root, 'crlf.txt'));
      const expected = statusJson(dvcOk(root, 'status', '--json'));
      const actual = statusJson(sluiceOk(root, 'status', '--json'));
      expect(actual).toEqual(expected);
      expect(expected).toEqual({
        'foo.dvc': [{ 'changed outs': { foo: 'modified' } }],
        'dir.dvc': [{ 'changed outs': { dir: 'modified' } }],
        'crlf.txt.dvc': [{ 'changed outs': { 'crlf.txt': 'deleted' } }],
      });
    });
  }

  it('a deleted folder, an added file in a folder, and a missing cache object', () => {
    const root = populated('dvc');
    writeTree(root, { 'dir/new': 'new' });
    rmSync(join(root, 'bar'));
    // foo's object gone from the cache: "not in cache"
    const obj = join(root, '.dvc/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8');
    chmodSync(obj, 0o644);
    rmSync(obj);
    const expected = statusJson(dvcOk(root, 'status', '--json'));
    const actual = statusJson(sluiceOk(root, 'status', '--json'));
    expect(actual).toEqual(expected);
  });

  it('the text of status for one changed stage is the same', () => {
    const root = populated('dvc');
    writeTree(root, { 'dir/a': 'changed' });
    const d = dvc(root, 'status');
    const s = sluice(root, 'status');
    expect({ code: s.code, stdout: s.stdout }).toEqual({ code: d.code, stdout: d.stdout });
  });

  it('an empty project says the same thing (the dvc.org link line aside)', () => {
    const root = makeRepo('dvc');
    const d = dvc(root, 'status');
    const s = sluice(root, 'status');
    const first = (out: string): string => out.split('\n')[0] ?? '';
    expect({ code: s.code, stdout: first(s.stdout) }).toEqual({
      code: d.code,
      stdout: first(d.stdout),
    });
  });

  it('status of one target', () => {
    const root = populated('dvc');
    writeTree(root, { foo: 'changed', 'dir/a': 'changed' });
    for (const target of ['foo.dvc', 'foo', 'dir']) {
      const expected = statusJson(dvcOk(root, 'status', '--json', target));
      const actual = statusJson(sluiceOk(root, 'status', '--json', target));
      expect({ target, status: actual }).toEqual({ target, status: expected });
    }
  });

  it('status -q agrees on a dirty repo (exit 1, no output)', () => {
    const root = populated('sluice');
    writeTree(root, { 'dir/a': 'changed' });
    const d = dvc(root, 'status', '-q');
    const s = sluice(root, 'status', '-q');
    expect({ code: s.code, out: s.stdout + s.stderr }).toEqual({ code: d.code, out: '' });
    expect(d.code).toBe(1);
  });
});

describe('cross checkout', () => {
  for (const [maker, restorer] of [
    ['dvc', 'sluice'],
    ['sluice', 'dvc'],
  ] as const) {
    it(`${maker} add, delete the workspace, ${restorer} checkout restores identical bytes`, () => {
      const root = populated(maker);
      const before = Object.fromEntries(
        Object.keys(tree).map((p) => [p, readFileSync(join(root, p)).toString('base64')]),
      );
      for (const t of targets) rmSync(join(root, t), { recursive: true });
      const result = restorer === 'sluice' ? sluiceOk(root, 'checkout') : dvcOk(root, 'checkout');
      const after = Object.fromEntries(
        Object.keys(tree).map((p) => [p, readFileSync(join(root, p)).toString('base64')]),
      );
      expect(after).toEqual(before);
      // the executable bit comes back
      expect(statSync(join(root, 'bar')).mode & 0o100).toBe(0o100);
      expect(
        result.stdout
          .split('\n')
          .filter((l) => l !== '')
          .sort(),
      ).toEqual(['A       bar', 'A       crlf.txt', 'A       dir/', 'A       foo'].sort());
      // and the other tool agrees that everything is clean now
      const other = restorer === 'sluice' ? dvcOk(root, 'status') : sluiceOk(root, 'status');
      expect(other.stdout.trim()).toBe(UP_TO_DATE);
    });
  }

  it('checkout output lines are the same as dvc (modified, added, deleted groups)', () => {
    const dvcRoot = populated('dvc');
    const sluiceRoot = populated('dvc');
    for (const root of [dvcRoot, sluiceRoot]) {
      rmSync(join(root, 'foo'));
      rmSync(join(root, 'dir'), { recursive: true });
      writeTree(root, { bar: 'changed bar' });
    }
    const d = dvc(dvcRoot, 'checkout', '--force');
    const s = sluice(sluiceRoot, 'checkout', '--force');
    expect({ code: s.code, stdout: s.stdout }).toEqual({ code: d.code, stdout: d.stdout });
    expect(readFileSync(join(sluiceRoot, 'bar'), 'utf8')).toBe('bar');
  });
});
