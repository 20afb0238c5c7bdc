import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import {
  assertObjectId,
  cloneOrCopy,
  ObjectStore,
  protect,
  translateWriteError,
} from '../../../../src/core/3-objects/objectStore.js';

let dir = '';
let cache = '';
let store: ObjectStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-object-store-'));
  cache = join(dir, 'cache');
  store = new ObjectStore(cache);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');
const mode = (path: string): number => statSync(path).mode & 0o777;
const HELLO = md5('hello\n');

function source(name: string, data: string): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** Puts a file at an object's place with this mode, bypassing the store. */
function plant(
  oid: string,
  data: string,
  fileMode: number,
  root = join(cache, 'files', 'md5'),
): string {
  const path = join(root, oid.slice(0, 2), oid.slice(2));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  chmodSync(path, fileMode);
  return path;
}

/** Files left in the cache whose name is not an object's (temporary files). */
function strays(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (!/^[0-9a-f]{30}(\.dir)?$/.test(e.name)) out.push(join(d, e.name));
    }
  };
  if (existsSync(cache)) walk(cache);
  return out;
}

describe('assertObjectId and paths', () => {
  it('takes 32 lower-case hex digits, with an optional .dir', () => {
    expect(() => assertObjectId(HELLO)).not.toThrow();
    expect(() => assertObjectId(`${HELLO}.dir`)).not.toThrow();
    for (const bad of [
      '../../etc/passwd',
      HELLO.toUpperCase(),
      `${HELLO}0`,
      HELLO.slice(1),
      `x${HELLO}`,
      `${HELLO}.dirx`,
      '',
    ]) {
      let error: unknown;
      try {
        assertObjectId(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(SluiceError);
      expect((error as SluiceError).message).toBe(
        `refusing object id '${bad}': it is not an md5 hash`,
      );
      expect((error as SluiceError).code).toBe('BAD_PATH');
      expect((error as SluiceError).hint).toBe(
        'a metafile or a .dir listing holds a forged hash value',
      );
    }
  });

  it('lays out 3.x objects under files/md5 and legacy ones at the top', () => {
    expect(store.filesRoot).toBe(join(cache, 'files', 'md5'));
    expect(store.rootFor('md5')).toBe(join(cache, 'files', 'md5'));
    expect(store.rootFor('md5-dos2unix')).toBe(cache);
    expect(store.oidPath(HELLO)).toBe(
      join(cache, 'files', 'md5', HELLO.slice(0, 2), HELLO.slice(2)),
    );
    expect(store.oidPath(HELLO, 'md5-dos2unix')).toBe(
      join(cache, HELLO.slice(0, 2), HELLO.slice(2)),
    );
    expect(() => store.oidPath('../x')).toThrow(/not an md5 hash/);
  });
});

describe('exists, objectIno, check, verify', () => {
  it('sees only files', () => {
    expect(store.exists(HELLO)).toBe(false);
    expect(store.objectIno(HELLO)).toBeUndefined();
    mkdirSync(store.oidPath(HELLO), { recursive: true });
    expect(store.exists(HELLO)).toBe(false);
    expect(store.objectIno(HELLO)).toBeUndefined();
    expect(store.check(HELLO)).toBe(false);
    rmSync(store.oidPath(HELLO), { recursive: true });
    const path = plant(HELLO, 'hello\n', 0o444);
    expect(store.exists(HELLO)).toBe(true);
    expect(store.exists(HELLO, 'md5-dos2unix')).toBe(false);
    expect(store.objectIno(HELLO)).toBe(statSync(path).ino);
  });

  it('trusts a read-only object, rehashes any other and deletes a corrupt one', () => {
    const trusted = plant(HELLO, 'not hello\n', 0o444);
    expect(store.check(HELLO)).toBe(true);
    expect(store.verify(HELLO)).toBe(false);
    rmSync(trusted, { force: true });
    const good = plant(HELLO, 'hello\n', 0o644);
    expect(store.check(HELLO)).toBe(true);
    expect(mode(good)).toBe(0o444);
    expect(store.verify(HELLO)).toBe(true);
    chmodSync(good, 0o644);
    writeFileSync(good, 'tampered\n');
    expect(store.check(HELLO)).toBe(false);
    expect(existsSync(good)).toBe(false);
    expect(store.check(HELLO)).toBe(false);
    expect(store.verify(HELLO)).toBe(false);
  });

  it('hashes a .dir object by its bytes and a legacy object without CRLF', () => {
    const listing = '[{"md5": "x", "relpath": "a"}]';
    const oid = `${md5(listing)}.dir`;
    plant(oid, listing, 0o644);
    expect(store.verify(oid)).toBe(true);
    expect(store.check(oid)).toBe(true);
    const legacy = md5('a\nb\n');
    plant(legacy, 'a\r\nb\r\n', 0o644, cache);
    expect(store.verify(legacy, 'md5-dos2unix')).toBe(true);
    expect(store.check(legacy, 'md5-dos2unix')).toBe(true);
    expect(store.check(legacy)).toBe(false);
  });
});

describe('adding objects', () => {
  it('addFile copies and hashes in one pass, read-only, no temporary left', () => {
    const src = source('a', 'hello\n');
    expect(store.addFile(src)).toBe(HELLO);
    expect(readFileSync(store.oidPath(HELLO), 'utf8')).toBe('hello\n');
    expect(mode(store.oidPath(HELLO))).toBe(0o444);
    expect(statSync(store.oidPath(HELLO)).ino).not.toBe(statSync(src).ino);
    // Again: the object is there already.
    expect(store.addFile(source('b', 'hello\n'))).toBe(HELLO);
    expect(strays()).toEqual([]);
  });

  it('addFile with a known hash: returns at once when present, copies or links otherwise', () => {
    const src = source('a', 'hello\n');
    plant(HELLO, 'hello\n', 0o444);
    // Present: the source is not even read (a missing one is fine).
    expect(store.addFile(join(dir, 'missing'), HELLO)).toBe(HELLO);
    rmSync(store.oidPath(HELLO), { force: true });
    expect(store.addFile(src, HELLO)).toBe(HELLO);
    expect(readFileSync(store.oidPath(HELLO), 'utf8')).toBe('hello\n');
    expect(mode(store.oidPath(HELLO))).toBe(0o444);
    expect(statSync(store.oidPath(HELLO)).ino).not.toBe(statSync(src).ino);
    rmSync(store.oidPath(HELLO), { force: true });
    expect(store.addFile(src, HELLO, true)).toBe(HELLO);
    expect(statSync(store.oidPath(HELLO)).ino).toBe(statSync(src).ino);
    expect(mode(src)).toBe(0o444);
    expect(strays()).toEqual([]);
  });

  it('addFile falls back to a copy when the hard link fails, and cleans up on error', () => {
    const src = source('a', 'hello\n');
    // A hard link of a missing source fails; the copy then fails too, with the source's error.
    expect(() => store.addFile(join(dir, 'missing'), HELLO, true)).toThrow(/ENOENT/);
    expect(store.addFile(src, HELLO, true)).toBe(HELLO);
    expect(() => store.addFile(join(dir, 'missing'))).toThrow(/ENOENT/);
    expect(strays()).toEqual([]);
  });

  it('addFile hard-linking without a known hash copies and hashes instead', () => {
    const src = source('a', 'hello\n');
    expect(store.addFile(src, undefined, true)).toBe(HELLO);
    expect(statSync(store.oidPath(HELLO)).ino).not.toBe(statSync(src).ino);
    expect(mode(store.oidPath(HELLO))).toBe(0o444);
  });

  it('addFile with a known hash lets the kernel copy: the bytes are filed under that hash unread', () => {
    // A hash from the hash cache stands for the file's bytes; they are not hashed again.
    const other = md5('other\n');
    expect(store.addFile(source('a', 'hello\n'), other)).toBe(other);
    expect(readFileSync(store.oidPath(other), 'utf8')).toBe('hello\n');
    expect(store.exists(HELLO)).toBe(false);
  });

  it('an object already there is kept as it is (its inode too), the new copy dropped', async () => {
    expect(store.addFile(source('a', 'hello\n'))).toBe(HELLO);
    const ino = statSync(store.oidPath(HELLO)).ino;
    expect(store.addFile(source('b', 'hello\n'))).toBe(HELLO);
    expect(statSync(store.oidPath(HELLO)).ino).toBe(ino);
    const big = 'y'.repeat(2 * 1024 * 1024);
    const oid = await store.addLargeFile(source('big', big));
    const bigIno = statSync(store.oidPath(oid)).ino;
    expect(await store.addLargeFile(source('big2', big))).toBe(oid);
    expect(statSync(store.oidPath(oid)).ino).toBe(bigIno);
    expect(strays()).toEqual([]);
  });

  it("a missing source fails with its own error, not the cleanup's", async () => {
    const missing = join(dir, 'missing');
    const pathOf = async (run: () => unknown): Promise<unknown> => {
      try {
        await run();
      } catch (error) {
        return (error as NodeJS.ErrnoException).path;
      }
      return 'no error';
    };
    expect(await pathOf(() => store.addFile(missing))).toBe(missing);
    expect(await pathOf(() => store.addFile(missing, HELLO))).toBe(missing);
    expect(await pathOf(() => store.addLargeFile(missing))).toBe(missing);
    expect(await pathOf(() => store.addLegacyCopy(missing, HELLO))).toBe(missing);
    expect(strays()).toEqual([]);
  });

  it('addLargeFile hashes while the kernel copies', async () => {
    const src = source('big', 'x'.repeat(3 * 1024 * 1024));
    const oid = md5('x'.repeat(3 * 1024 * 1024));
    expect(await store.addLargeFile(src)).toBe(oid);
    expect(mode(store.oidPath(oid))).toBe(0o444);
    expect(store.verify(oid)).toBe(true);
    expect(await store.addLargeFile(src)).toBe(oid);
    await expect(store.addLargeFile(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
    expect(strays()).toEqual([]);
  });

  it('addLegacyCopy keeps the legacy name, place and raw bytes', () => {
    const oid = md5('a\nb\n');
    store.addLegacyCopy(source('crlf', 'a\r\nb\r\n'), oid);
    const path = join(cache, oid.slice(0, 2), oid.slice(2));
    expect(readFileSync(path, 'utf8')).toBe('a\r\nb\r\n');
    expect(mode(path)).toBe(0o444);
    expect(() => store.addLegacyCopy(join(dir, 'missing'), oid)).toThrow(/ENOENT/);
    expect(strays()).toEqual([]);
  });

  it('addBytes writes once, read-only', () => {
    store.addBytes(HELLO, 'hello\n');
    expect(readFileSync(store.oidPath(HELLO), 'utf8')).toBe('hello\n');
    expect(mode(store.oidPath(HELLO))).toBe(0o444);
    store.addBytes(HELLO, Buffer.from('other\n'));
    expect(readFileSync(store.oidPath(HELLO), 'utf8')).toBe('hello\n');
    const legacy = md5('x\n');
    store.addBytes(legacy, Buffer.from('x\n'), 'md5-dos2unix');
    expect(readFileSync(join(cache, legacy.slice(0, 2), legacy.slice(2)), 'utf8')).toBe('x\n');
    expect(strays()).toEqual([]);
  });

  it('addBytes leaves no temporary behind when the object cannot be put in place', () => {
    const oid = md5('y\n');
    mkdirSync(join(store.oidPath(oid), 'inside'), { recursive: true });
    expect(() => store.addBytes(oid, 'y\n')).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dirname(store.oidPath(oid)))).toEqual([oid.slice(2)]);
  });
});

describe('readDir', () => {
  it('reads a listing, undefined when missing, refuses a corrupt or forged one', () => {
    const listing = JSON.stringify([{ md5: HELLO, relpath: 'a.txt' }]);
    const oid = `${md5(listing)}.dir`;
    expect(store.readDir(oid)).toBeUndefined();
    store.addBytes(oid, listing);
    expect(store.readDir(oid)).toEqual([{ md5: HELLO, relpath: 'a.txt' }]);
    const bad = `${md5('other')}.dir`;
    plant(bad, listing, 0o444);
    let error: unknown;
    try {
      store.readDir(bad);
    } catch (e) {
      error = e;
    }
    expect((error as SluiceError).code).toBe('CORRUPT_OBJECT');
    expect((error as SluiceError).message).toBe(`cache object '${bad}' is corrupted`);
    expect((error as SluiceError).hint).toBe(
      'remove it from the cache and fetch or add the data again',
    );
    mkdirSync(store.oidPath(`${md5('x')}.dir`), { recursive: true });
    expect(() => store.readDir(`${md5('x')}.dir`)).toThrow(/EISDIR/);
  });

  it('checks the listing paths unless the listing was checked before', () => {
    const forged = JSON.stringify([{ md5: HELLO, relpath: '../escape' }]);
    const oid = `${md5(forged)}.dir`;
    store.addBytes(oid, forged);
    expect(() => store.readDir(oid)).toThrow(/unsafe path/);
    store.isCheckedDir = (o) => o === oid;
    expect(store.readDir(oid)).toEqual([{ md5: HELLO, relpath: '../escape' }]);
  });
});

describe('protect, cloneOrCopy, translateWriteError', () => {
  it('protect makes a file read-only and ignores a missing one', () => {
    const path = source('p', 'x');
    protect(path);
    expect(mode(path)).toBe(0o444);
    expect(() => protect(join(dir, 'missing'))).not.toThrow();
  });

  it('cloneOrCopy copies the bytes and passes other errors on', () => {
    cloneOrCopy(source('c', 'bytes'), join(dir, 'd'));
    expect(readFileSync(join(dir, 'd'), 'utf8')).toBe('bytes');
    expect(() => cloneOrCopy(join(dir, 'missing'), join(dir, 'e'))).toThrow(/ENOENT/);
  });

  it('turns a full disk or quota into one clear error', () => {
    const full = Object.assign(new Error('full'), { code: 'ENOSPC' });
    const written = translateWriteError(full, 'a/b') as SluiceError;
    expect([written.code, written.message, written.hint, written.cause]).toEqual([
      'NO_SPACE',
      "no space left on device while writing 'a/b'",
      'free some space (e.g. `sluice gc -w`) and run the command again',
      full,
    ]);
    const quota = Object.assign(new Error('quota'), { code: 'EDQUOT' });
    expect((translateWriteError(quota, 'a', 'the cache') as SluiceError).message).toBe(
      "no space left on device while copying 'a' into the cache",
    );
    const other = Object.assign(new Error('denied'), { code: 'EACCES' });
    expect(translateWriteError(other, 'a')).toBe(other);
  });
});
