import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Repo } from '../../../../../src/core/6-repo/repo.js';
import { StageIndex } from '../../../../../src/core/7-metafiles/stageIndex.js';
import type { Output } from '../../../../../src/core/7-metafiles/stage.js';
import { add } from '../../../../../src/core/9-ops/data/add.js';
import {
  hashNameFor,
  isInCache,
  outputStatus,
  stateFromHash,
} from '../../../../../src/core/9-ops/data/outputState.js';
import { openScratchRepo } from '../../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeEach(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-output-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const cacheRoot = (): string => join(dir, '.dvc', 'cache', 'files', 'md5');
const objectPath = (oid: string): string => join(cacheRoot(), oid.slice(0, 2), oid.slice(2));

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

async function tracked(path: string): Promise<Output> {
  await add(repo, [path], { cwd: dir });
  repo = await Repo.open(dir);
  const out = StageIndex.load(repo).stages.find((s) => s.file === `${path}.dvc`)?.outs[0];
  if (out === undefined) throw new Error(`no output ${path}`);
  return out;
}

/** Contents whose md5s share the cache folder `prefix`, `count` of them. */
function contentsIn(prefix: string, count: number): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i += 1) {
    if (md5(`file ${i}\n`).startsWith(prefix)) found.push(`file ${i}\n`);
  }
  return found;
}

/** An hour ago, in whole seconds: a folder time set twice to it is the same time. */
const HOUR_AGO = Math.floor(Date.now() / 1000) - 3600;

/** Sets a cache folder's mtime to `when` (seconds), past the racy window. */
function settle(folder: string, when = HOUR_AGO): void {
  utimesSync(join(cacheRoot(), folder), when, when);
}

describe('outputStatus', () => {
  it('unchanged, modified, deleted, not in cache', async () => {
    write({ 'a.txt': 'a\n' });
    const out = await tracked('a.txt');
    expect(outputStatus(repo, out)).toBeUndefined();
    write({ 'a.txt': 'changed\n' });
    expect(outputStatus(repo, out)).toBe('modified');
    rmSync(join(dir, 'a.txt'));
    expect(outputStatus(repo, out)).toBe('deleted');
    rmSync(objectPath(md5('a\n')));
    expect(outputStatus(repo, out)).toBe('not in cache');
  });

  it('takes a hash already computed, or null for a path known to be gone', async () => {
    write({ 'a.txt': 'a\n' });
    const out = await tracked('a.txt');
    expect(outputStatus(repo, out, null)).toBe('deleted');
    expect(
      outputStatus(repo, out, { isDir: false, hash: md5('b\n'), size: 2, isexec: false }),
    ).toBe('modified');
    write({ 'a.txt': 'changed\n' });
    expect(
      outputStatus(repo, out, { isDir: false, hash: md5('a\n'), size: 2, isexec: false }),
    ).toBeUndefined();
  });

  it('an output with no recorded hash is modified when present', async () => {
    write({ 'a.txt': 'a\n' });
    const out = await tracked('a.txt');
    out.recorded = {};
    expect(outputStatus(repo, out)).toBe('modified');
    rmSync(join(dir, 'a.txt'));
    expect(outputStatus(repo, out)).toBe('deleted');
  });

  it('compares a legacy record with the legacy (dos2unix) hash', async () => {
    write({ 'a.txt': 'line\r\n' });
    const out = await tracked('a.txt');
    expect(hashNameFor(out.recorded)).toBe('md5');
    out.recorded = { hash: { name: 'md5-dos2unix', value: md5('line\n') } };
    expect(hashNameFor(out.recorded)).toBe('md5-dos2unix');
    mkdirSync(join(dir, '.dvc', 'cache', md5('line\n').slice(0, 2)), { recursive: true });
    writeFileSync(
      join(dir, '.dvc', 'cache', md5('line\n').slice(0, 2), md5('line\n').slice(2)),
      'line\n',
    );
    expect(outputStatus(repo, out)).toBeUndefined();
    expect(hashNameFor({})).toBe('md5');
  });
});

describe('stateFromHash', () => {
  it('records size, nfiles only for a folder, isexec only when set', () => {
    expect(stateFromHash({ isDir: false, hash: 'h', size: 3, isexec: false }, 'md5')).toStrictEqual(
      {
        hash: { name: 'md5', value: 'h' },
        size: 3,
      },
    );
    expect(
      stateFromHash(
        { isDir: true, hash: 'h.dir', size: 3, nfiles: 2, isexec: true },
        'md5-dos2unix',
      ),
    ).toStrictEqual({
      hash: { name: 'md5-dos2unix', value: 'h.dir' },
      size: 3,
      nfiles: 2,
      isexec: true,
    });
  });
});

describe('isInCache of a folder', () => {
  it('finds every object, with few and with many objects in one cache folder', async () => {
    const many = contentsIn('ab', 9);
    const files: Record<string, string> = { 'data/small.txt': 'small\n' };
    many.forEach((text, i) => (files[`data/m${i}.txt`] = text));
    write(files);
    const out = await tracked('data');
    const hash = out.recorded.hash;
    if (hash === undefined) throw new Error('no hash');
    expect(isInCache(repo, hash)).toBe(true);
    expect(outputStatus(repo, out)).toBeUndefined();
    // One of the nine objects in a listed folder is missing.
    rmSync(objectPath(md5(many[4])));
    expect(isInCache(repo, hash)).toBe(false);
    writeFileSync(objectPath(md5(many[4])), many[4]);
    expect(isInCache(repo, hash)).toBe(true);
    // The single object in its folder is missing.
    rmSync(objectPath(md5('small\n')));
    expect(isInCache(repo, hash)).toBe(false);
    expect(outputStatus(repo, out)).toBe('not in cache');
  });

  it('is false without the listing, or with a listing that is not one', async () => {
    write({ 'data/a.txt': 'a\n' });
    const out = await tracked('data');
    const hash = out.recorded.hash;
    if (hash === undefined) throw new Error('no hash');
    const listing = objectPath(hash.value);
    rmSync(listing, { force: true });
    expect(isInCache(repo, hash)).toBe(false);
    expect(isInCache(repo, { name: 'md5', value: `${'0'.repeat(32)}.dir` })).toBe(false);
  });

  it('names a listing with a forged path instead of calling it missing', async () => {
    write({ 'data/a.txt': 'a\n' });
    const out = await tracked('data');
    const text = JSON.stringify([{ md5: md5('a\n'), relpath: '../../etc/passwd' }]);
    const oid = `${md5(text)}.dir`;
    mkdirSync(dirname(objectPath(oid)), { recursive: true });
    writeFileSync(objectPath(oid), text);
    expect(() => isInCache(repo, { name: 'md5', value: oid })).toThrow(/unsafe path/);
    expect(out.recorded.hash?.value).not.toBe(oid);
  });

  it('once complete, looks again only into the cache folders changed since', async () => {
    const [x, y] = [contentsIn('0a', 1)[0], contentsIn('0b', 1)[0]];
    write({ 'data/x.txt': x, 'data/y.txt': y });
    const out = await tracked('data');
    const hash = out.recorded.hash;
    if (hash === undefined) throw new Error('no hash');
    for (const folder of ['0a', '0b', hash.value.slice(0, 2)]) settle(folder);
    expect(isInCache(repo, hash)).toBe(true); // looks at every folder, records them complete
    // An object removed while its folder keeps its old mtime is not looked for again: the
    // recorded folder times stand for their content (the hash cache's contract).
    rmSync(objectPath(md5(x)));
    settle('0a');
    expect(isInCache(repo, hash)).toBe(true);
    // Another folder changed: only that one is looked into again.
    writeFileSync(join(cacheRoot(), '0b', 'unrelated'), '');
    settle('0b', HOUR_AGO + 1800);
    expect(isInCache(repo, hash)).toBe(true);
    // The folder of the missing object changed: it is looked into, and the object is missed.
    settle('0a', HOUR_AGO + 3000);
    expect(isInCache(repo, hash)).toBe(false);
  });

  it('with nothing recorded yet, looks into every folder and misses one object of two', async () => {
    const pair = contentsIn('c1', 2);
    write({ 'data/p0.txt': pair[0], 'data/p1.txt': pair[1] });
    const out = await tracked('data');
    const hash = out.recorded.hash;
    if (hash === undefined) throw new Error('no hash');
    // A fresh hash cache: no folder is known complete.
    rmSync(join(dir, '.dvc', 'tmp'), { recursive: true, force: true });
    repo = await Repo.open(dir);
    rmSync(objectPath(md5(pair[1])));
    expect(isInCache(repo, hash)).toBe(false);
    // A folder in place of the object is no object either.
    mkdirSync(objectPath(md5(pair[1])));
    expect(isInCache(repo, hash)).toBe(false);
  });

  it('is false when a cache folder of many wanted objects is gone', async () => {
    const many = contentsIn('ab', 9);
    const files: Record<string, string> = {};
    many.forEach((text, i) => (files[`data/m${i}.txt`] = text));
    write(files);
    const out = await tracked('data');
    const hash = out.recorded.hash;
    if (hash === undefined) throw new Error('no hash');
    expect(isInCache(repo, hash)).toBe(true);
    rmSync(join(cacheRoot(), 'ab'), { recursive: true });
    expect(isInCache(repo, hash)).toBe(false);
  });

  it('a corrupt listing is not in the cache: removed when writable, an error never', async () => {
    write({ 'data/a.txt': 'a\n' });
    const out = await tracked('data');
    const hash = out.recorded.hash;
    if (hash === undefined) throw new Error('no hash');
    const listing = objectPath(hash.value);
    // Writable, with other bytes than its name says: rehashed, found corrupt and deleted (as DVC).
    chmodSync(listing, 0o644);
    writeFileSync(listing, '[]');
    expect(isInCache(repo, hash)).toBe(false);
    expect(existsSync(listing)).toBe(false);
    // Read-only (trusted by its mode) yet corrupt: found out when read, still just missing.
    writeFileSync(listing, '[]');
    chmodSync(listing, 0o444);
    expect(isInCache(repo, hash)).toBe(false);
    // Named by its md5 but no listing: missing too, not an error.
    const text = 'not json';
    const oid = `${md5(text)}.dir`;
    mkdirSync(dirname(objectPath(oid)), { recursive: true });
    writeFileSync(objectPath(oid), text);
    expect(isInCache(repo, { name: 'md5', value: oid })).toBe(false);
  });
});
