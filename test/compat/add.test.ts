import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  makeRepo,
  read,
  sluice,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * `add` run by real DVC and by Sluice on identical trees: every file the tools write (metafiles,
 * .gitignore, cache objects with their modes, and the workspace files) must be identical.
 */

interface Entry {
  mode: string;
  content: string;
}

function describeBytes(buf: Buffer): string {
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : `base64:${buf.toString('base64')}`;
}

/** Every regular file (and symlink) of the repo except .git and .dvc/tmp, keyed by relpath. */
function snapshot(root: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      if (relPath === '.git' || relPath === '.dvc/tmp') continue;
      const st = lstatSync(join(root, relPath));
      if (st.isDirectory()) {
        walk(relPath);
        continue;
      }
      out[relPath] = {
        mode: (st.mode & 0o7777).toString(8),
        content: st.isSymbolicLink() ? 'symlink' : describeBytes(readFileSync(join(root, relPath))),
      };
    }
  };
  walk('');
  return out;
}

function cacheObjects(root: string): Record<string, Entry> {
  const all = snapshot(root);
  return Object.fromEntries(Object.entries(all).filter(([p]) => p.startsWith('.dvc/cache/')));
}

type Prepare = (root: string) => void;

/** Builds the same tree in a DVC repo and a Sluice repo and runs `add <targets>` in each. */
function addInBoth(prepare: Prepare, targets: string[]): { dvcRoot: string; sluiceRoot: string } {
  const dvcRoot = makeRepo('dvc');
  const sluiceRoot = makeRepo('dvc');
  prepare(dvcRoot);
  prepare(sluiceRoot);
  dvcOk(dvcRoot, 'add', ...targets);
  sluiceOk(sluiceRoot, 'add', ...targets);
  return { dvcRoot, sluiceRoot };
}

/**
 * DVC rewrites an executable workspace file on add as 0644|u+x (0744); only the user-exec bit of
 * workspace files is compared here, the exact mode has its own test.
 */
function normaliseWorkspaceModes(tree: Record<string, Entry>): Record<string, Entry> {
  return Object.fromEntries(
    Object.entries(tree).map(([p, e]) => [
      p,
      p.startsWith('.dvc/') ? e : { ...e, mode: (parseInt(e.mode, 8) & 0o100) !== 0 ? 'u+x' : '-' },
    ]),
  );
}

function expectSameTrees(dvcRoot: string, sluiceRoot: string): void {
  const expected = normaliseWorkspaceModes(snapshot(dvcRoot));
  const actual = normaliseWorkspaceModes(snapshot(sluiceRoot));
  expect(actual).toEqual(expected);
  // every cache object is read-only
  for (const [path, entry] of Object.entries(cacheObjects(sluiceRoot))) {
    expect({ path, mode: entry.mode }).toEqual({ path, mode: '444' });
  }
}

afterEach(() => cleanupSandboxes());

describe('add: same files as DVC', () => {
  it('a single file foo="foo"', () => {
    const { dvcRoot, sluiceRoot } = addInBoth((r) => writeTree(r, { foo: 'foo' }), ['foo']);
    expect(readFileSync(join(sluiceRoot, 'foo.dvc'), 'utf8')).toBe(
      'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n',
    );
    expect(Object.keys(cacheObjects(sluiceRoot))).toEqual([
      '.dvc/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8',
    ]);
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('a file in a subfolder (the .dvc and .gitignore go beside it)', () => {
    const { dvcRoot, sluiceRoot } = addInBoth(
      (r) => writeTree(r, { 'data/raw/x.csv': 'a,b\n1,2\n' }),
      ['data/raw/x.csv'],
    );
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('an executable file gets isexec: true and stays executable', () => {
    const prepare: Prepare = (r) => {
      writeTree(r, { 'run.sh': '#!/bin/sh\necho hi\n' });
      chmodSync(join(r, 'run.sh'), 0o755);
    };
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['run.sh']);
    expect(readFileSync(join(sluiceRoot, 'run.sh.dvc'), 'utf8')).toContain('isexec: true\n');
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('an executable file: the workspace mode after add is the one DVC leaves (0744)', () => {
    const prepare: Prepare = (r) => {
      writeTree(r, { 'run.sh': '#!/bin/sh\necho hi\n' });
      chmodSync(join(r, 'run.sh'), 0o755);
    };
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['run.sh']);
    const mode = (root: string): string =>
      (lstatSync(join(root, 'run.sh')).mode & 0o777).toString(8);
    expect(mode(sluiceRoot)).toBe(mode(dvcRoot));
  });

  it('a folder with nested folders and an executable inside', () => {
    const prepare: Prepare = (r) => {
      writeTree(r, {
        'data/a.txt': 'a',
        'data/b/c.txt': 'c',
        'data/b/d/e.bin': Buffer.from([0, 1, 2, 255, 254]),
        'data/z': 'zzz\n',
        'data/A': 'upper',
        'data/b-c': 'dash sorts before slash',
        'data/b.c': 'dot',
      });
      chmodSync(join(r, 'data/b/c.txt'), 0o755);
    };
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['data']);
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('a folder of 1,500 files (hashed and cached by the worker-thread pool)', () => {
    const prepare: Prepare = (r) => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 1500; i++) {
        files[`data/part${i % 7}/f${i}.txt`] = `${'x'.repeat(i % 4096)}${i}\n`;
      }
      // duplicates: the same object reached by several workers at once
      for (let i = 0; i < 50; i++) files[`data/same/dup${i}`] = 'identical content\n';
      writeTree(r, files);
    };
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['data']);
    expectSameTrees(dvcRoot, sluiceRoot);
    const leftovers = Object.keys(cacheObjects(sluiceRoot)).filter((p) => p.includes('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('a folder of 6,000 files in 12 subfolders (walked with helper threads), then status', () => {
    const prepare: Prepare = (r) => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 6000; i++) files[`data/sub${i % 12}/deeper${i % 3}/f${i}`] = `${i}\n`;
      writeTree(r, files);
      symlinkSync(join(r, 'data', 'sub0'), join(r, 'data', 'linked'));
    };
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['data']);
    expect(read(sluiceRoot, 'data.dvc')).toBe(read(dvcRoot, 'data.dvc'));
    expect(cacheObjects(sluiceRoot)).toEqual(cacheObjects(dvcRoot));
    for (let i = 0; i < 2; i++) {
      expect(sluiceOk(sluiceRoot, 'status').stdout).toContain('up to date');
    }
    expect(dvcOk(sluiceRoot, 'status').stdout).toContain('up to date');
    writeTree(sluiceRoot, { 'data/sub7/deeper1/f7': 'changed\n' });
    expect(sluiceOk(sluiceRoot, 'status').stdout).toContain('modified:');
    writeTree(sluiceRoot, { 'data/sub5/deeper2/.dvcignore': '*.tmp\n' });
    const refused = sluice(sluiceRoot, 'status');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('.dvcignore file should not be in collected dir path');
  });

  it('a folder with an empty subfolder', () => {
    const prepare: Prepare = (r) => {
      writeTree(r, { 'data/a.txt': 'a' });
      mkdirSync(join(r, 'data/empty/deeper'), { recursive: true });
    };
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['data']);
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('an empty folder', () => {
    const { dvcRoot, sluiceRoot } = addInBoth(
      (r) => mkdirSync(join(r, 'nothing'), { recursive: true }),
      ['nothing'],
    );
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('non-ASCII and astral names, sorted by code point inside a .dir', () => {
    const prepare: Prepare = (r) =>
      writeTree(r, {
        'data/héllo.txt': 'e acute',
        'data/日本語.txt': 'cjk',
        'data/😀.txt': 'emoji',
        'data/～wave.txt': 'U+FF5E sorts before U+1F600 by code point, after it by UTF-16',
        'data/ascii.txt': 'ascii',
        'data/naïve/ü.txt': 'nested',
      });
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['data']);
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('non-ASCII and emoji file names as top-level outputs', () => {
    const prepare: Prepare = (r) =>
      writeTree(r, { 'héllo wörld.txt': 'x', '😀.txt': 'y', 'データ.csv': 'z' });
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['héllo wörld.txt', '😀.txt', 'データ.csv']);
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('a CRLF text file keeps its bytes and plain md5', () => {
    const { dvcRoot, sluiceRoot } = addInBoth(
      (r) => writeTree(r, { 'crlf.txt': 'a\r\nb\r\nc\r\n' }),
      ['crlf.txt'],
    );
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('a folder with CRLF files', () => {
    const { dvcRoot, sluiceRoot } = addInBoth(
      (r) => writeTree(r, { 'd/crlf.txt': 'a\r\nb\r\n', 'd/lf.txt': 'a\nb\n' }),
      ['d'],
    );
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('an empty file', () => {
    const { dvcRoot, sluiceRoot } = addInBoth((r) => writeTree(r, { empty: '' }), ['empty']);
    expect(readFileSync(join(sluiceRoot, 'empty.dvc'), 'utf8')).toContain(
      'md5: d41d8cd98f00b204e9800998ecf8427e\n',
    );
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('several targets at once, one of them a folder', () => {
    const { dvcRoot, sluiceRoot } = addInBoth(
      (r) => writeTree(r, { foo: 'foo', bar: 'bar', 'dir/x': 'x', 'dir/sub/y': 'y' }),
      ['foo', 'bar', 'dir'],
    );
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('re-adding a modified file', () => {
    const prepare: Prepare = (r) => writeTree(r, { foo: 'foo' });
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['foo']);
    writeTree(dvcRoot, { foo: 'foo v2' });
    writeTree(sluiceRoot, { foo: 'foo v2' });
    dvcOk(dvcRoot, 'add', 'foo');
    sluiceOk(sluiceRoot, 'add', 'foo');
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('adding a file inside a tracked folder (granular add)', () => {
    const prepare: Prepare = (r) => writeTree(r, { 'dir/a': 'a', 'dir/b': 'b' });
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['dir']);
    for (const r of [dvcRoot, sluiceRoot]) writeTree(r, { 'dir/c': 'c', 'dir/a': 'a2' });
    dvcOk(dvcRoot, 'add', 'dir/c');
    sluiceOk(sluiceRoot, 'add', 'dir/c');
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('a .dvcignore hides files from a tracked folder', () => {
    const prepare: Prepare = (r) =>
      writeTree(r, {
        '.dvcignore': '*.tmp\n',
        'dir/keep.txt': 'keep',
        'dir/skip.tmp': 'skip',
        'dir/sub/skip2.tmp': 'skip',
      });
    const { dvcRoot, sluiceRoot } = addInBoth(prepare, ['dir']);
    expectSameTrees(dvcRoot, sluiceRoot);
  });

  it('the sluice-made objects are trusted by DVC (dvc status clean)', () => {
    const { sluiceRoot } = addInBoth(
      (r) => writeTree(r, { foo: 'foo', 'dir/a': 'a', 'dir/b/c': 'c' }),
      ['foo', 'dir'],
    );
    const result = dvcOk(sluiceRoot, 'status');
    expect(result.stdout.trim()).toBe('Data and pipelines are up to date.');
  });
});
