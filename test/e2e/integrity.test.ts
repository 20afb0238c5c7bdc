import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, sluice, sluiceOk } from '../helpers/sandbox.js';
import { cacheObject, FILES, md5, objectPath, trackedRepo } from '../helpers/trackedData.js';

afterAll(cleanupSandboxes);

/** Overwrites an object in place, as a disk fault or a write through a hard link would. */
function corrupt(path: string, content = 'garbage\n'): void {
  chmodSync(path, 0o644);
  writeFileSync(path, content);
  chmodSync(path, 0o444);
}

describe('push verifies each object as it reads it', () => {
  it('skips a corrupted object, pushes the rest and names the file', () => {
    const { repo, storage } = trackedRepo();
    const bad = md5(FILES['data/x.csv']);
    const badInFolder = md5(FILES['images/b.txt']);
    corrupt(cacheObject(repo, bad));
    corrupt(cacheObject(repo, badInFolder), 'image B\n');
    const pushed = sluice(repo, 'push');
    expect(pushed.code).not.toBe(0);
    const shortBad = `${bad.slice(0, 2)}/${bad.slice(2)}`;
    expect(pushed.stderr).toContain(
      `ERROR: cache object '${shortBad}' for 'data/x.csv' is corrupted; it was not pushed`,
    );
    expect(pushed.stderr).toContain("for 'images/b.txt' is corrupted");
    expect(pushed.stderr).toContain('sluice fsck --repair');
    expect(pushed.stdout).not.toContain('Everything is up to date');
    expect(existsSync(objectPath(storage, bad))).toBe(false);
    expect(existsSync(objectPath(storage, badInFolder))).toBe(false);
    for (const good of ['data/y.csv', 'images/a.txt', 'images/c.txt'] as const) {
      expect(readFileSync(objectPath(storage, md5(FILES[good])), 'utf8')).toBe(FILES[good]);
    }
    // The folder's listing waits for all of its files.
    const listing = readFileSync(join(repo, 'images.dvc'), 'utf8').match(/md5: (\w+\.dir)/)?.[1];
    expect(listing).toBeDefined();
    expect(existsSync(objectPath(storage, listing ?? ''))).toBe(false);
  });
});

describe('status notices a deleted object of a complete folder', () => {
  /** Sets the cache's folders back an hour, so that what status records of them is not racy. */
  function ageCacheFolders(repo: string): void {
    const root = join(repo, '.dvc', 'cache', 'files', 'md5');
    const past = new Date(Date.now() - 3600_000);
    for (const name of readdirSync(root)) utimesSync(join(root, name), past, past);
  }

  it('says not in cache after an object is deleted or moved away', () => {
    const { repo } = trackedRepo();
    ageCacheFolders(repo);
    expect(sluiceOk(repo, 'status').stdout).toBe('Data and pipelines are up to date.\n');
    const gone = cacheObject(repo, md5(FILES['images/b.txt']));
    rmSync(gone);
    expect(sluiceOk(repo, 'status').stdout).toMatch(
      /images\.dvc:\n\tchanged outs:\n\t\tnot in cache: +images\n/,
    );
    // Back in place: up to date again; moved away: noticed again.
    writeFileSync(gone, FILES['images/b.txt'], { mode: 0o444 });
    expect(sluiceOk(repo, 'status').stdout).toBe('Data and pipelines are up to date.\n');
    ageCacheFolders(repo);
    expect(sluiceOk(repo, 'status').stdout).toBe('Data and pipelines are up to date.\n');
    renameSync(gone, join(repo, 'moved-away'));
    expect(sluiceOk(repo, 'status').stdout).toMatch(/not in cache: +images/);
  });

  it('notices it right after add, too', () => {
    const { repo } = trackedRepo();
    rmSync(cacheObject(repo, md5(FILES['images/c.txt'])));
    expect(sluiceOk(repo, 'status').stdout).toMatch(/not in cache: +images/);
  });
});

describe('pull reports a failed download without "Everything is up to date"', () => {
  it('with and without -v', () => {
    const { repo, storage } = trackedRepo();
    sluiceOk(repo, 'push');
    corrupt(objectPath(storage, md5(FILES['data/x.csv'])));
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'data', 'x.csv'));
    for (const verbose of [['-v'], []]) {
      const pulled = sluice(repo, 'pull', ...verbose, 'data/x.csv.dvc');
      expect(pulled.code).toBe(1);
      expect(pulled.stderr).toContain('is corrupted');
      expect(pulled.stdout).not.toContain('Everything is up to date');
    }
  });
});
