import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Git } from '../../../../src/core/6-repo/git.js';
import { GitTree } from '../../../../src/core/8-revisions/gitTree.js';
import { readRecordedOutputs } from '../../../../src/core/8-revisions/recordedOutputs.js';
import { cleanupSandboxes, git, tempDir, writeTree } from '../../../helpers/sandbox.js';

// A project in a sub-folder of its git repository, with metafiles of every kind, committed once:
// read back through the tree, never from the working copy (which is changed after the commit).

const MD5 = (c: string): string => c.repeat(32);
let root: string;
let tree: GitTree;
let gitHandle: Git;

beforeAll(async () => {
  root = tempDir('sluice-gittree-');
  git(root, 'init', '-q');
  writeTree(join(root, 'proj'), {
    '.dvc/config': '',
    '.dvc/ignored.dvc': `outs:\n- md5: ${MD5('0')}\n  path: never\n`,
    'data.dvc': `outs:\n- md5: ${MD5('a')}\n  size: 4\n  hash: md5\n  path: data\n`,
    'sub/deep/raw.dvc': `wdir: ..\nouts:\n- md5: ${MD5('b')}.dir\n  nfiles: 2\n  path: raw/\n`,
    'sub/escape.dvc': `outs:\n- md5: ${MD5('c')}\n  path: ../../outside\n`,
    'broken.dvc': 'outs: [\n',
    'dvc.yaml':
      'stages:\n  train:\n    cmd: x\n    outs:\n    - model.pkl\n    - log.txt:\n        cache: false\n',
    'dvc.lock': `schema: '2.0'\nstages:\n  train:\n    cmd: x\n    outs:\n    - path: model.pkl\n      hash: md5\n      md5: ${MD5('d')}\n    - path: log.txt\n      hash: md5\n      md5: ${MD5('e')}\n`,
    'sub/Dvcfile': `outs:\n- md5: ${MD5('f')}\n  path: legacy.txt\n`,
    'plain/a.txt': 'a',
    'plain/b/c.txt': 'c',
  });
  writeTree(root, { 'top.dvc': `outs:\n- md5: ${MD5('9')}\n  path: top\n` });
  git(root, 'add', '-A');
  git(root, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'one');
  // The working copy moves on: the tree must not see it.
  writeTree(join(root, 'proj'), { 'data.dvc': 'changed after the commit\n', 'new.dvc': 'x' });
  const found = await Git.find(join(root, 'proj'));
  if (found === null) throw new Error('git not found');
  gitHandle = found;
  const sha = git(root, 'rev-parse', 'HEAD').stdout.trim();
  tree = new GitTree(gitHandle, sha, GitTree.prefixOf(gitHandle, join(root, 'proj')));
});

afterAll(async () => {
  await gitHandle.close();
  cleanupSandboxes();
});

describe('GitTree', () => {
  it('sees the project below its prefix, as committed', async () => {
    expect(tree.prefix).toBe('proj');
    const files = (await tree.files()).map((e) => e.path);
    expect(files).toContain('data.dvc');
    expect(files).toContain('plain/b/c.txt');
    expect(files).not.toContain('top.dvc');
    expect(files).not.toContain('new.dvc');
    expect((await tree.readFile('data.dvc'))?.toString()).toContain(MD5('a'));
  });

  it('lists the metafiles top-down, leaving out .dvc/ and plain files', async () => {
    expect(await tree.metafiles()).toEqual([
      'broken.dvc',
      'data.dvc',
      'dvc.yaml',
      'sub/Dvcfile',
      'sub/escape.dvc',
      'sub/deep/raw.dvc',
    ]);
  });

  it('reads a missing file as null and lists a folder, not a file', async () => {
    expect(await tree.readFile('nope.txt')).toBeNull();
    expect(await tree.filesUnder('plain')).toEqual(['plain/a.txt', 'plain/b/c.txt']);
    expect(await tree.filesUnder('plain/a.txt')).toBeNull();
    expect(await tree.filesUnder('missing')).toBeNull();
  });
});

describe('readRecordedOutputs', () => {
  it('collects every recorded output, lenient to a broken file, with cache flags from dvc.yaml', async () => {
    const outputs = await readRecordedOutputs(tree, 'HEAD');
    const byPath = Object.fromEntries(outputs.map((o) => [o.path, o]));
    expect(Object.keys(byPath).sort()).toEqual([
      'data',
      'log.txt',
      'model.pkl',
      'sub/legacy.txt',
      'sub/raw',
    ]);
    expect(byPath.data).toEqual({
      path: 'data',
      hash: { name: 'md5', value: MD5('a') },
      cache: true,
      size: 4,
    });
    // wdir (..) is applied from the file's folder, and the trailing slash dropped
    expect(byPath['sub/raw']).toMatchObject({
      hash: { value: `${MD5('b')}.dir` },
      nfiles: 2,
      cache: true,
    });
    expect(byPath['model.pkl']?.cache).toBe(true);
    expect(byPath['log.txt']?.cache).toBe(false);
    // a 2.x-style entry (md5 without `hash: md5`) keeps its legacy hash name
    expect(byPath['sub/legacy.txt']?.hash.name).toBe('md5-dos2unix');
  });
});
