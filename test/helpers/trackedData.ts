import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { git, makeRepo, sluiceOk, tempDir, writeTree } from './sandbox.js';

/** The files of `trackedRepo`: two tracked files and the tracked folder `images`. */
export const FILES = {
  'data/x.csv': 'id,value\n1,2\n',
  'data/y.csv': 'id,value\n3,4\n',
  'images/a.txt': 'image a\n',
  'images/b.txt': 'image b\n',
  'images/c.txt': 'image c\n',
};

export const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** Where a DVC 3 cache or remote under `root` keeps the object `oid`. */
export function objectPath(root: string, oid: string): string {
  return join(root, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
}

export function cacheObject(repo: string, oid: string): string {
  return objectPath(join(repo, '.dvc', 'cache'), oid);
}

/** A committed repo tracking `data/x.csv`, `data/y.csv` and the folder `images`, with a remote. */
export function trackedRepo(): { repo: string; storage: string } {
  const repo = makeRepo('sluice');
  writeTree(repo, FILES);
  sluiceOk(repo, 'add', 'data/x.csv', 'data/y.csv', 'images');
  const storage = tempDir('sluice-remote-');
  sluiceOk(repo, 'remote', 'add', '-d', 'storage', storage);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'data');
  return { repo, storage };
}
