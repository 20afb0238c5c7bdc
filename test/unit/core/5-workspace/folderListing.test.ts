import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FolderListing,
  folderListingFile,
} from '../../../../src/core/5-workspace/folderListing.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-listing-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Stored {
  folders: Record<string, { readAt: number; ctimeMs: number; entries: string }>;
}

/** Rewrites the stored listing as if it had been read `ms` after the folder last changed. */
function ageRecord(file: string, rel: string, ms: number, entries?: string): void {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Stored;
  const record = data.folders[rel];
  if (record === undefined) throw new Error(`no record of '${rel}'`);
  record.readAt = record.ctimeMs + ms;
  if (entries !== undefined) record.entries = entries;
  writeFileSync(file, JSON.stringify(data));
}

describe('folder listings kept between walks', () => {
  const dir = join(root, 'data');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a'), 'a');
  writeFileSync(join(dir, 'b'), 'b');
  const file = folderListingFile(join(root, 'hashes'), 'data');

  const read = (): string[] => {
    const listing = new FolderListing(file);
    const entries = listing.read(dir, '').sort();
    listing.save(new Set(['']));
    return entries;
  };

  it('reads a folder, marking folders with a slash, and records it', () => {
    expect(read()).toEqual(['a', 'b', 'sub/']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 1 });
  });

  it('reuses the record of a folder unchanged since long before it was read', () => {
    // A record that differs from the folder shows that it, not the folder, was used.
    ageRecord(file, '', 10_000, 'a\0b\0sub/\0only-in-the-record');
    expect(read()).toContain('only-in-the-record');
  });

  it('reads a folder again once an entry appears or goes', () => {
    ageRecord(file, '', 10_000, 'stale');
    writeFileSync(join(dir, 'c'), 'c');
    expect(read()).toEqual(['a', 'b', 'c', 'sub/']);
    ageRecord(file, '', 10_000, 'stale');
    rmSync(join(dir, 'c'));
    expect(read()).toEqual(['a', 'b', 'sub/']);
  });

  it('does not trust a record made right after the folder changed', () => {
    ageRecord(file, '', 500, 'racy');
    expect(read()).toEqual(['a', 'b', 'sub/']);
  });

  it('forgets folders the walk no longer meets, and survives a damaged file', () => {
    const listing = new FolderListing(file);
    listing.read(join(dir, 'sub'), 'sub');
    listing.save(new Set(['sub']));
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Stored;
    expect(Object.keys(stored.folders)).toEqual(['sub']);
    writeFileSync(file, '{not json');
    expect(read()).toEqual(['a', 'b', 'sub/']);
  });
});
