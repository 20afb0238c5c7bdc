import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeDirObject } from '../../../../../src/core/3-objects/dirObject.js';
import type { Repo } from '../../../../../src/core/6-repo/repo.js';
import type { UsedOutput } from '../../../../../src/core/8-revisions/objects.js';
import { expand } from '../../../../../src/core/9-ops/remote/plan.js';
import { openScratchRepo } from '../../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeEach(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-plan-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const key = (oid: string, legacy = false): string =>
  `${legacy ? '' : 'files/md5/'}${oid.slice(0, 2)}/${oid.slice(2)}`;
const out = (path: string, value: string, name: 'md5' | 'md5-dos2unix' = 'md5'): UsedOutput => ({
  path,
  hash: { name, value },
});

/** Puts a `.dir` listing of these files (relpath -> content) in the cache; returns its id. */
function listing(files: Record<string, string>, name: 'md5' | 'md5-dos2unix' = 'md5'): string {
  const text = serializeDirObject(
    Object.entries(files).map(([relpath, content]) => ({ relpath, md5: md5(content) })),
  );
  const oid = `${md5(text)}.dir`;
  repo.odb.addBytes(oid, text, name);
  return oid;
}

/** What a plan says, with each item's fields read (paths are getters). */
function shown(items: Array<{ name: string; oid: string; path: string; key: string }>): unknown[] {
  return items.map((i) => ({ name: i.name, oid: i.oid, path: i.path, key: i.key }));
}

describe('expand', () => {
  it('lists file objects once per remote key, in order', () => {
    const [a, b] = [md5('a'), md5('b')];
    const plan = expand(repo, [
      out('a.txt', a),
      out('b.txt', b),
      out('again/a.txt', a),
      out('legacy/a.txt', a, 'md5-dos2unix'),
    ]);
    expect(shown(plan.files)).toEqual([
      { name: 'md5', oid: a, path: 'a.txt', key: key(a) },
      { name: 'md5', oid: b, path: 'b.txt', key: key(b) },
      { name: 'md5-dos2unix', oid: a, path: 'legacy/a.txt', key: key(a, true) },
    ]);
    expect(plan.dirs).toEqual([]);
    expect(plan.unknownDirs).toEqual([]);
  });

  it("reads a cached folder's listing: its files, each once, named inside the folder", () => {
    const oid = listing({ 'x.txt': 'x', 'sub/y.txt': 'y', 'dup.txt': 'a' });
    const plan = expand(repo, [out('a.txt', md5('a')), out('data', oid), out('copy', oid)]);
    expect(shown(plan.files)).toEqual([
      { name: 'md5', oid: md5('a'), path: 'a.txt', key: key(md5('a')) },
      { name: 'md5', oid: md5('y'), path: 'data/sub/y.txt', key: key(md5('y')) },
      { name: 'md5', oid: md5('x'), path: 'data/x.txt', key: key(md5('x')) },
    ]);
    // The listing (sorted by path) keeps every entry's key, those already planned too; the
    // folder is listed once.
    expect(plan.dirs).toHaveLength(1);
    expect(shown([plan.dirs[0].item])).toEqual([{ name: 'md5', oid, path: 'data', key: key(oid) }]);
    expect(plan.dirs[0].entries).toEqual([key(md5('a')), key(md5('y')), key(md5('x'))]);
    expect(plan.unknownDirs).toEqual([]);
  });

  it('a folder path that needs normalising still names its files plainly', () => {
    const oid = listing({ 'f.txt': 'f' });
    expect(shown(expand(repo, [out('./data/', oid)]).files)).toEqual([
      { name: 'md5', oid: md5('f'), path: 'data/f.txt', key: key(md5('f')) },
    ]);
  });

  it('a legacy folder listing is read from the legacy cache, its files keyed as legacy', () => {
    const oid = listing({ 'f.txt': 'f' }, 'md5-dos2unix');
    const plan = expand(repo, [out('data', oid, 'md5-dos2unix')]);
    expect(shown(plan.files)).toEqual([
      { name: 'md5-dos2unix', oid: md5('f'), path: 'data/f.txt', key: key(md5('f'), true) },
    ]);
    expect(plan.dirs[0].entries).toEqual([key(md5('f'), true)]);
  });

  it('a folder whose listing is missing or unreadable is unknown, not an error', () => {
    const missing = `${md5('nothing')}.dir`;
    const corrupt = listing({ 'f.txt': 'f' });
    const path = repo.odb.oidPath(corrupt);
    chmodSync(path, 0o644);
    writeFileSync(path, 'not a listing');
    const folder = `${md5('folder')}.dir`;
    mkdirSync(repo.odb.oidPath(folder), { recursive: true });
    const plan = expand(repo, [out('m', missing), out('c', corrupt), out('f', folder)]);
    expect(shown(plan.unknownDirs)).toEqual([
      { name: 'md5', oid: missing, path: 'm', key: key(missing) },
      { name: 'md5', oid: corrupt, path: 'c', key: key(corrupt) },
      { name: 'md5', oid: folder, path: 'f', key: key(folder) },
    ]);
    expect(plan.files).toEqual([]);
    expect(plan.dirs).toEqual([]);
  });
});
