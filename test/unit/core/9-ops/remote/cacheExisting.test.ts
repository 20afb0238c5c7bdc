import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HashName } from '../../../../../src/core/3-objects/hashFile.js';
import type { Repo } from '../../../../../src/core/6-repo/repo.js';
import { remoteKey } from '../../../../../src/core/8-revisions/objects.js';
import {
  localExisting,
  localExistingInTurns,
} from '../../../../../src/core/9-ops/remote/cacheExisting.js';
import type { PlanItem } from '../../../../../src/core/9-ops/remote/plan.js';
import { openScratchRepo } from '../../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeEach(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-cache-existing-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** `count` contents whose md5s share the cache folder `prefix`. */
function contentsIn(prefix: string, count: number, tag = ''): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i += 1) {
    if (md5(`${tag}${i}`).startsWith(prefix)) found.push(`${tag}${i}`);
  }
  return found;
}

function item(content: string, name: HashName = 'md5'): PlanItem {
  const oid = md5(content);
  return { name, oid, path: content, key: remoteKey(name, oid) };
}

/** Puts the object of `content` in the cache (as the legacy cache lays it out for a legacy name). */
function store(content: string, name: HashName = 'md5'): void {
  repo.odb.addBytes(md5(content), content, name);
}

const keys = (items: PlanItem[]): string[] => items.map((i) => i.key).sort();

describe('localExisting', () => {
  it('checks a few objects of a cache folder one by one: files only', () => {
    const few = contentsIn('a1', 3);
    store(few[0]);
    store(few[2]);
    // A folder where an object should be is no object.
    mkdirSync(repo.odb.oidPath(md5(few[1])), { recursive: true });
    const items = few.map((c) => item(c));
    expect([...localExisting(repo, items)].sort()).toEqual(keys([items[0], items[2]]));
  });

  it('lists a cache folder once many of its objects are wanted', () => {
    const many = contentsIn('b2', 16);
    many.filter((_, i) => i % 2 === 0).forEach((c) => store(c));
    const items = many.map((c) => item(c));
    expect([...localExisting(repo, items)].sort()).toEqual(
      keys(items.filter((_, i) => i % 2 === 0)),
    );
    // A cache folder that is not there holds none of them.
    const absent = contentsIn('c3', 16).map((c) => item(c));
    expect(localExisting(repo, absent).size).toBe(0);
  });

  it('looks for each hash name in its own cache', () => {
    const many = contentsIn('d4', 17);
    // Sixteen 3.x objects share the folder with one legacy object, stored where legacy ones are.
    many.slice(0, 16).forEach((c) => store(c));
    store(many[16], 'md5-dos2unix');
    const items = [...many.slice(0, 16).map((c) => item(c)), item(many[16], 'md5-dos2unix')];
    expect([...localExisting(repo, items)].sort()).toEqual(keys(items));
    // The same ids under the other names are not there.
    const swapped = [...many.slice(0, 16).map((c) => item(c, 'md5-dos2unix')), item(many[16])];
    expect(localExisting(repo, swapped).size).toBe(0);
  });

  it('in turns gives the same answer, over many cache folders', async () => {
    const contents = Array.from({ length: 600 }, (_, i) => `object ${i}`);
    contents.filter((_, i) => i % 3 !== 0).forEach((c) => store(c));
    const items = contents.map((c) => item(c));
    const expected = keys(items.filter((_, i) => i % 3 !== 0));
    expect([...localExisting(repo, items)].sort()).toEqual(expected);
    expect(localExisting(repo, []).size).toBe(0);
    // In turns, it gives way to the event loop (every 16 cache folders): a callback queued
    // before it runs before it ends.
    let ranMeanwhile = false;
    setImmediate(() => (ranMeanwhile = true));
    expect([...(await localExistingInTurns(repo, items))].sort()).toEqual(expected);
    expect(ranMeanwhile).toBe(true);
  });
});
