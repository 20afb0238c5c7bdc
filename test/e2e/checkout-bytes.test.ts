import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, git, makeRepo, sluiceOk, writeTree } from '../helpers/sandbox.js';

afterEach(cleanupSandboxes);

interface ListingEntry {
  md5: string;
  relpath: string;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** The `.dir` listing that `NAME.dvc` in the workspace points at, read from the cache. */
function listingOf(dir: string, dvcFile: string): ListingEntry[] {
  const text = readFileSync(join(dir, dvcFile), 'utf8');
  const oid = /md5: ([0-9a-f]{32})\.dir/.exec(text)?.[1];
  if (oid === undefined) throw new Error(`${dvcFile} records no folder hash:\n${text}`);
  const object = join(dir, '.dvc', 'cache', 'files', 'md5', oid.slice(0, 2), `${oid.slice(2)}.dir`);
  const listing = JSON.parse(readFileSync(object, 'utf8')) as ListingEntry[];
  // The listing itself must be the object its name says it is.
  expect(md5(readFileSync(object))).toBe(oid);
  return listing;
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const abs = join(folder, entry.name);
      if (entry.isDirectory()) walk(abs);
      else out.push(relative(root, abs).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Every file of the folder holds exactly the bytes its listing names, and nothing else is there. */
function expectFolderMatchesListing(dir: string, folder: string): void {
  const listing = listingOf(dir, `${folder}.dvc`);
  const root = join(dir, folder);
  expect(filesUnder(root)).toEqual(listing.map((e) => e.relpath).sort());
  const found = listing.map((e) => ({
    relpath: e.relpath,
    md5: md5(readFileSync(join(root, ...e.relpath.split('/')))),
  }));
  expect(found).toEqual(listing.map((e) => ({ relpath: e.relpath, md5: e.md5 })));
}

const FIRST = {
  'data/same.txt': 'alpha-1\n',
  'data/grow.txt': 'short\n',
  'data/keep.txt': 'unchanged\n',
  'data/sub/deep.txt': 'deep-1\n',
};

/** Two commits whose listings of `data` differ: one file same size (and name), one another size. */
function repoWithTwoVersions(): { dir: string; first: string; second: string } {
  const dir = makeRepo('sluice');
  writeTree(dir, FIRST);
  sluiceOk(dir, 'add', 'data');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'data v1');
  const first = git(dir, 'rev-parse', 'HEAD').stdout.trim();
  writeTree(dir, {
    'data/same.txt': 'alpha-2\n',
    'data/grow.txt': 'a good deal longer than before\n',
    'data/sub/deep.txt': 'deep-2\n',
  });
  sluiceOk(dir, 'add', 'data');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'data v2');
  const second = git(dir, 'rev-parse', 'HEAD').stdout.trim();
  return { dir, first, second };
}

describe('checkout leaves every file of a folder exactly as its listing says', () => {
  it('switching commits with `git checkout REV -- data.dvc` then `sluice checkout`', () => {
    const { dir, first, second } = repoWithTwoVersions();
    // Files placed by Sluice itself, unmodified since.
    sluiceOk(dir, 'checkout');
    expectFolderMatchesListing(dir, 'data');
    for (const rev of [first, second, first]) {
      git(dir, 'checkout', '-q', rev, '--', 'data.dvc');
      sluiceOk(dir, 'checkout');
      expectFolderMatchesListing(dir, 'data');
    }
    expect(readFileSync(join(dir, 'data', 'same.txt'), 'utf8')).toBe('alpha-1\n');
    expect(readFileSync(join(dir, 'data', 'grow.txt'), 'utf8')).toBe('short\n');
  });

  it('switching commits with `git checkout REV` then `sluice checkout data`', () => {
    const { dir, first, second } = repoWithTwoVersions();
    git(dir, 'checkout', '-q', first);
    sluiceOk(dir, 'checkout', 'data');
    expectFolderMatchesListing(dir, 'data');
    expect(readFileSync(join(dir, 'data', 'same.txt'), 'utf8')).toBe('alpha-1\n');
    git(dir, 'checkout', '-q', second);
    sluiceOk(dir, 'checkout', 'data');
    expectFolderMatchesListing(dir, 'data');
    expect(readFileSync(join(dir, 'data', 'same.txt'), 'utf8')).toBe('alpha-2\n');
  });

  it('`checkout -f` after an edit puts back the listed bytes (same size and another size)', () => {
    const { dir } = repoWithTwoVersions();
    writeFileSync(join(dir, 'data', 'same.txt'), 'ALPHA-9\n');
    writeFileSync(join(dir, 'data', 'grow.txt'), 'x');
    writeFileSync(join(dir, 'data', 'sub', 'deep.txt'), 'deep-9\n');
    writeFileSync(join(dir, 'data', 'extra.txt'), 'not listed\n');
    sluiceOk(dir, 'checkout', '-f', 'data');
    expectFolderMatchesListing(dir, 'data');
    expect(readFileSync(join(dir, 'data', 'same.txt'), 'utf8')).toBe('alpha-2\n');
  });
});
