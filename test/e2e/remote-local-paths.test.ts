import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  makeRepo,
  sluice,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

afterAll(cleanupSandboxes);

/**
 * The paths `push`, `pull` and `status -c` take for speed with a local-folder remote: a large
 * object hashed while it is copied into the cache, and cache/remote folders compared by listing
 * them when many objects share a folder.
 */

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

/**
 * 17 MiB of random bytes whose object lands in the same cache folder as the listing of a folder
 * holding only it as `big.bin`: the last 8 bytes are counted up until the two md5s share their
 * first two hex digits.
 */
function contentSharingFolderWithListing(): { content: Buffer; listing: string } {
  const base = randomBytes(17 * 1024 * 1024 + 69);
  const head = createHash('md5').update(base);
  for (let i = 0; ; i += 1) {
    const tail = Buffer.alloc(8);
    tail.writeBigUInt64BE(BigInt(i));
    const oid = head.copy().update(tail).digest('hex');
    const listing = md5(`[{"md5": "${oid}", "relpath": "big.bin"}]`);
    if (listing.slice(0, 2) === oid.slice(0, 2)) {
      return { content: Buffer.concat([base, tail]), listing };
    }
  }
}

function repoWithRemote(): { repo: string; storage: string } {
  const repo = makeRepo('sluice');
  const storage = tempDir('sluice-remote-');
  sluiceOk(repo, 'remote', 'add', '-d', 'myremote', storage);
  return { repo, storage };
}

const objectPath = (root: string, oid: string): string =>
  join(root, 'files', 'md5', oid.slice(0, 2), oid.slice(2));

/** `count` distinct contents whose md5 starts with `prefix`, so they share a cache folder. */
function contentsInFolder(prefix: string, count: number): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i += 1) {
    const content = `content ${prefix} ${i}\n`;
    if (md5(content).startsWith(prefix)) found.push(content);
  }
  return found;
}

describe('local remote fast paths', () => {
  it('pulls a file of several MiB hashed in one pass, and refuses it when corrupted', () => {
    const { repo, storage } = repoWithRemote();
    const content = randomBytes(3 * 1024 * 1024 + 4321);
    const oid = md5(content);
    writeTree(repo, { big: content, small: 'small' });
    sluiceOk(repo, 'add', 'big', 'small');
    sluiceOk(repo, 'push');
    const cache = join(repo, '.dvc', 'cache');
    rmSync(cache, { recursive: true, force: true });
    rmSync(join(repo, 'big'));
    const pulled = sluiceOk(repo, 'pull');
    expect(pulled.stdout).toContain('2 files fetched');
    expect(readFileSync(join(repo, 'big')).equals(content)).toBe(true);
    expect(statSync(objectPath(cache, oid)).mode & 0o777).toBe(0o444);

    // One flipped byte in the last block of the remote's copy.
    const remoteObject = objectPath(storage, oid);
    chmodSync(remoteObject, 0o644);
    const corrupt = Buffer.from(content);
    corrupt[corrupt.length - 1] ^= 0xff;
    writeFileSync(remoteObject, corrupt);
    rmSync(cache, { recursive: true, force: true });
    rmSync(join(repo, 'big'));
    const refused = sluice(repo, 'pull');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('corrupted');
    expect(refused.stderr).toContain(`${oid.slice(0, 2)}/${oid.slice(2)}`);
    expect(existsSync(objectPath(cache, oid))).toBe(false);
    // Nothing is left behind under a temporary name either.
    expect(readdirSync(join(cache, 'files', 'md5', oid.slice(0, 2)))).toEqual([]);
    expect(existsSync(join(repo, 'big'))).toBe(false);
  });

  it('pulls many small files into the workspace as copies made while they were fetched', () => {
    const { repo } = repoWithRemote();
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i += 1) files[`data/d${i % 4}/f${i}.txt`] = `small ${i}\n`;
    writeTree(repo, files);
    sluiceOk(repo, 'add', 'data');
    sluiceOk(repo, 'push');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'data'), { recursive: true });
    // A killed pull's spare copies are cleared by the next pull.
    const stale = join(repo, '.dvc', 'tmp', 'sluice', 'spares');
    writeTree(stale, { '.left.123.abc1.tmp': 'left by a killed pull' });
    expect(sluiceOk(repo, 'pull').stdout).toContain('301 files fetched');
    for (const [path, content] of Object.entries(files)) {
      expect(readFileSync(join(repo, path), 'utf8')).toBe(content);
      expect(statSync(join(repo, path)).mode & 0o777).toBe(0o644);
    }
    expect(existsSync(stale)).toBe(false);
    expect(sluiceOk(repo, 'status').stdout).toContain('up to date');
  });

  it('pulls a large file into the workspace as a copy made while it was verified', () => {
    const { repo, storage } = repoWithRemote();
    // The object and the listing of `data/` (which holds only it) are made to share a cache
    // folder, as they do by chance 1 time in 256: the folder then holds both, never a spare.
    const { content, listing } = contentSharingFolderWithListing();
    const oid = md5(content);
    writeTree(repo, { 'models/model.bin': content, 'data/big.bin': content });
    sluiceOk(repo, 'add', 'models/model.bin', 'data');
    expect(readFileSync(join(repo, 'data.dvc'), 'utf8')).toContain(`md5: ${listing}.dir`);
    const bothObjects = [oid.slice(2), `${listing.slice(2)}.dir`].sort();
    sluiceOk(repo, 'push');
    const cache = join(repo, '.dvc', 'cache');
    const cacheFolder = join(cache, 'files', 'md5', oid.slice(0, 2));
    const removeLocal = (): void => {
      rmSync(cache, { recursive: true, force: true });
      rmSync(join(repo, 'models', 'model.bin'));
      rmSync(join(repo, 'data'), { recursive: true });
    };
    removeLocal();
    sluiceOk(repo, 'pull');
    // The same object placed twice: one place takes the spare copy, the other copies the
    // object; both are plain files of their own, as `cache.type` copy makes them.
    for (const placed of ['models/model.bin', 'data/big.bin']) {
      const abs = join(repo, placed);
      expect(readFileSync(abs).equals(content)).toBe(true);
      expect(statSync(abs).mode & 0o777).toBe(0o644);
      expect(statSync(abs).nlink).toBe(1);
      expect(statSync(abs).ino).not.toBe(statSync(objectPath(cache, oid)).ino);
    }
    expect(readdirSync(cacheFolder).sort()).toEqual(bothObjects);
    expect(existsSync(join(repo, '.dvc', 'tmp', 'sluice', 'spares'))).toBe(false);
    expect(sluiceOk(repo, 'status').stdout).toContain('up to date');

    // With the workspace already right, the spare copy is not used and not left behind.
    rmSync(cache, { recursive: true, force: true });
    sluiceOk(repo, 'pull');
    expect(readdirSync(cacheFolder).sort()).toEqual(bothObjects);

    // A corrupt remote object leaves neither a spare copy nor a workspace file.
    const remoteObject = objectPath(storage, oid);
    chmodSync(remoteObject, 0o644);
    const corrupt = Buffer.from(content);
    corrupt[1] ^= 0xff;
    writeFileSync(remoteObject, corrupt);
    removeLocal();
    const refused = sluice(repo, 'pull');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('corrupted');
    // The listing was fetched and checked; the corrupt object never reached the cache.
    expect(readdirSync(cacheFolder)).toEqual([`${listing.slice(2)}.dir`]);
    expect(existsSync(join(repo, 'models', 'model.bin'))).toBe(false);
  });

  it('compares crowded cache and remote folders by listing them', () => {
    const { repo, storage } = repoWithRemote();
    const files: Record<string, string> = {};
    const a = contentsInFolder('7f', 24);
    const b = contentsInFolder('3c', 24);
    a.forEach((content, i) => (files[`data/a${i}`] = content));
    b.forEach((content, i) => (files[`data/b${i}`] = content));
    writeTree(repo, files);
    sluiceOk(repo, 'add', 'data');
    sluiceOk(repo, 'push');
    expect(sluiceOk(repo, 'status', '-c').stdout).toBe(
      "Cache and remote 'myremote' are in sync.\n",
    );

    const cache = join(repo, '.dvc', 'cache');
    // Gone from the cache only, from the remote only, and from both.
    for (const i of [1, 5, 20]) rmSync(objectPath(cache, md5(a[i] ?? '')), { force: true });
    for (const i of [0, 7]) rmSync(objectPath(storage, md5(b[i] ?? '')), { force: true });
    rmSync(objectPath(cache, md5(b[3] ?? '')), { force: true });
    rmSync(objectPath(storage, md5(b[3] ?? '')), { force: true });
    // As DVC does, a folder whose .dir object is on the remote counts as complete there (push
    // uploads the listing last), so only the cache's side of the folder shows.
    expect(JSON.parse(sluiceOk(repo, 'status', '-c', '--json').stdout)).toEqual({
      'data/a1': 'deleted',
      'data/a20': 'deleted',
      'data/a5': 'deleted',
      'data/b3': 'deleted',
    });
    // Without the listing on the remote, its files are looked up (the remote folders listed).
    const dirOid = /md5: ([0-9a-f]{32}\.dir)/.exec(
      readFileSync(join(repo, 'data.dvc'), 'utf8'),
    )?.[1];
    rmSync(objectPath(storage, dirOid ?? ''), { force: true });
    const status = JSON.parse(sluiceOk(repo, 'status', '-c', '--json').stdout) as unknown;
    expect(status).toEqual({
      data: 'new',
      'data/a1': 'deleted',
      'data/a20': 'deleted',
      'data/a5': 'deleted',
      'data/b0': 'new',
      'data/b3': 'missing',
      'data/b7': 'new',
    });

    // fetch takes exactly what the cache lacks and the remote has; push the reverse.
    const fetched = sluice(repo, 'fetch');
    expect(fetched.code).toBe(1);
    expect(fetched.stdout).toBe('3 files fetched\n');
    const pushed = sluice(repo, 'push');
    expect(pushed.code).toBe(1);
    // The listing stays off the remote while one of its files is nowhere.
    expect(pushed.stdout).toBe('2 files pushed\n');
    expect(JSON.parse(sluiceOk(repo, 'status', '-c', '--json').stdout)).toEqual({
      data: 'new',
      'data/b3': 'missing',
    });
  });
});
