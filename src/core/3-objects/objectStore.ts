import {
  chmodSync,
  closeSync,
  copyFileSync,
  fchmodSync,
  fstatSync,
  constants as fsConstants,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import { tempNameFor } from '../2-fs/atomicWrite.js';
import { NO_OBSERVER, type ReadObserver } from '../2-fs/readObserver.js';
import { BLOCK_SIZE, md5Bytes, md5FileSync, type HashName } from './hashFile.js';
import { parseDirObject, type DirEntry } from './dirObject.js';

export const READONLY_MODE = 0o444;

const OBJECT_ID = /^[0-9a-f]{32}(\.dir)?$/;

/**
 * Object ids come from metafiles and `.dir` listings, which a commit or a remote controls: an id
 * that is not an md5 (say `../../../home/u/.ssh/id_rsa`) would name a path outside the cache.
 */
export function assertObjectId(oid: string): void {
  if (!OBJECT_ID.test(oid)) {
    throw new SluiceError('BAD_PATH', `refusing object id '${oid}': it is not an md5 hash`, {
      hint: 'a metafile or a .dir listing holds a forged hash value',
    });
  }
}

/**
 * The local cache: content-addressed objects at `<root>/<oid[0:2]>/<oid[2:]>`.
 * `md5` objects live under `<cache>/files/md5`, legacy `md5-dos2unix` ones under `<cache>` itself.
 *
 * Write discipline: an object is written under a temporary name in its final folder, made
 * read-only, then renamed, so nothing half-written is ever visible under an object's name.
 * A file of mode 0444 is trusted as verified (as DVC does); anything else is rehashed on check.
 */
export class ObjectStore {
  readonly filesRoot: string;

  /**
   * `.dir` objects known to have been read and checked before (see readDir); objects are
   * immutable and verified against their name on every read, so one check is enough.
   */
  isCheckedDir: (oid: string) => boolean = () => false;

  /** Told of every object looked at, and of every write (see readObserver.ts); set by Repo. */
  observer: ReadObserver = NO_OBSERVER;

  constructor(readonly cacheDir: string) {
    this.filesRoot = join(cacheDir, 'files', 'md5');
  }

  rootFor(name: HashName): string {
    return name === 'md5' ? this.filesRoot : this.cacheDir;
  }

  oidPath(oid: string, name: HashName = 'md5'): string {
    assertObjectId(oid);
    return join(this.rootFor(name), oid.slice(0, 2), oid.slice(2));
  }

  exists(oid: string, name: HashName = 'md5'): boolean {
    const path = this.oidPath(oid, name);
    this.observer.onRead(path);
    // Most probes of an add miss: an exception per miss would cost more than the stat.
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  }

  /** The inode of an object's file, or undefined when there is none. */
  objectIno(oid: string, name: HashName = 'md5'): number | undefined {
    const path = this.oidPath(oid, name);
    this.observer.onRead(path);
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats?.isFile() === true ? stats.ino : undefined;
  }

  private readonly madeDirs = new Set<string>();

  /** mkdir -p of an object's folder, once per folder per process (there are 256). */
  private ensureDir(dir: string): void {
    this.observer.onUnwitnessed('cache write');
    if (this.madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  /**
   * Is the object present and intact? A 0444 file is trusted; any other mode is rehashed and a
   * corrupt object is deleted, as DVC does.
   */
  check(oid: string, name: HashName = 'md5'): boolean {
    const path = this.oidPath(oid, name);
    this.observer.onRead(path);
    let mode: number;
    try {
      const stats = statSync(path);
      if (!stats.isFile()) return false;
      mode = stats.mode & 0o777;
    } catch {
      return false;
    }
    if (mode === READONLY_MODE) return true;
    // Rehashed, then made read-only or removed: a write.
    this.observer.onUnwitnessed('cache object checked');
    const actual = oid.endsWith('.dir')
      ? md5Bytes(readFileSync(path)) + '.dir'
      : md5FileSync(path, name);
    if (actual !== oid) {
      rmSync(path, { force: true });
      return false;
    }
    protect(path);
    return true;
  }

  /** Verifies an object's content by rehashing it, whatever its mode. */
  verify(oid: string, name: HashName = 'md5'): boolean {
    const path = this.oidPath(oid, name);
    this.observer.onRead(path);
    try {
      const actual = oid.endsWith('.dir')
        ? md5Bytes(readFileSync(path)) + '.dir'
        : md5FileSync(path, name);
      return actual === oid;
    } catch {
      return false;
    }
  }

  /**
   * Copies `source` into the cache while hashing it, reading the file once.
   * Returns the md5. With `link: 'hardlink'` the object is a hard link to the source instead.
   */
  addFile(source: string, knownHash?: string, hardlink = false): string {
    this.observer.onUnwitnessed('cache write');
    if (knownHash !== undefined && this.exists(knownHash)) return knownHash;
    if (hardlink && knownHash !== undefined) {
      const final = this.oidPath(knownHash);
      mkdirSync(dirname(final), { recursive: true });
      try {
        const temp = tempNameFor(final);
        linkSync(source, temp);
        protect(temp);
        renameSync(temp, final);
        return knownHash;
      } catch {
        // fall through to copying
      }
    }
    this.ensureDir(this.filesRoot);
    const temp = tempNameFor(join(this.filesRoot, 'object'));
    let hash: string;
    try {
      if (knownHash !== undefined) {
        // The hash is known (from the hash cache, for this very inode/mtime/size): let the
        // kernel copy the bytes, as cp does, instead of reading them through JavaScript.
        copyFileSync(source, temp, fsConstants.COPYFILE_FICLONE);
        protect(temp);
        hash = knownHash;
      } else {
        // One pass: read, hash and write each block (into a file created read-only).
        hash = copyAndHash(source, temp);
      }
      const final = this.oidPath(hash);
      this.ensureDir(dirname(final));
      if (this.exists(hash)) rmSync(temp, { force: true });
      else renameSync(temp, final);
    } catch (error) {
      rmSync(temp, { force: true });
      throw translateWriteError(error, source, `the cache (${this.cacheDir})`);
    }
    return hash;
  }

  /**
   * Adds a large file: the kernel copies it into the cache on a libuv thread while this thread
   * hashes it, so the two passes overlap (on two cores this takes about as long as hashing
   * alone, against `md5sum` followed by `cp`).
   */
  async addLargeFile(source: string): Promise<string> {
    this.observer.onUnwitnessed('cache write');
    mkdirSync(this.filesRoot, { recursive: true });
    const temp = tempNameFor(join(this.filesRoot, 'object'));
    const copying = copyFile(source, temp, fsConstants.COPYFILE_FICLONE);
    try {
      const hash = md5FileSync(source);
      await copying;
      const final = this.oidPath(hash);
      mkdirSync(dirname(final), { recursive: true });
      if (this.exists(hash)) {
        rmSync(temp, { force: true });
      } else {
        protect(temp);
        renameSync(temp, final);
      }
      return hash;
    } catch (error) {
      await copying.catch(() => undefined);
      rmSync(temp, { force: true });
      throw translateWriteError(error, source, `the cache (${this.cacheDir})`);
    }
  }

  /** Stores bytes (a `.dir` listing) under the given oid. */
  /**
   * Stores a legacy (`md5-dos2unix`) object: it keeps its legacy name and location and holds the
   * file's raw bytes.
   */
  addLegacyCopy(source: string, oid: string): void {
    this.observer.onUnwitnessed('cache write');
    const target = this.oidPath(oid, 'md5-dos2unix');
    mkdirSync(dirname(target), { recursive: true });
    const temp = tempNameFor(target);
    try {
      copyFileSync(source, temp);
      chmodSync(temp, 0o444);
      renameSync(temp, target);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  addBytes(oid: string, data: Buffer | string, name: HashName = 'md5'): void {
    const final = this.oidPath(oid, name);
    if (this.exists(oid, name)) return;
    this.observer.onUnwitnessed('cache write');
    mkdirSync(dirname(final), { recursive: true });
    const temp = tempNameFor(final);
    try {
      const fd = openSync(temp, 'wx', 0o644);
      try {
        const buffer = typeof data === 'string' ? Buffer.from(data) : data;
        writeSync(fd, buffer);
      } finally {
        closeSync(fd);
      }
      protect(temp);
      renameSync(temp, final);
    } catch (error) {
      rmSync(temp, { force: true });
      throw translateWriteError(error, final);
    }
  }

  /** Reads and parses a `.dir` object; undefined when missing, throws when corrupt. */
  readDir(oid: string, name: HashName = 'md5'): DirEntry[] | undefined {
    let data: Buffer;
    const path = this.oidPath(oid, name);
    this.observer.onRead(path);
    try {
      data = readFileSync(path);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
    if (md5Bytes(data) + '.dir' !== oid) {
      throw new SluiceError('CORRUPT_OBJECT', `cache object '${oid}' is corrupted`, {
        hint: 'remove it from the cache and fetch or add the data again',
      });
    }
    return parseDirObject(data, oid, { check: !this.isCheckedDir(oid) });
  }
}

/** Makes a cache file read-only; a shared cache might refuse chmod, which is harmless. */
export function protect(path: string): void {
  try {
    chmodSync(path, READONLY_MODE);
  } catch {
    // not fatal: the object is still correct, it will just be rehashed when checked
  }
}

// One block buffer for every copy: a fresh 1 MiB buffer per file of a 100k-file folder is
// 100k mmap/munmap pairs. copyAndHash is synchronous, so it is never used twice at once.
let copyBuffer: Buffer | undefined;
let umaskKeepsReadOnly: boolean | undefined;

function copyAndHash(source: string, target: string): string {
  const hash = createHash('md5');
  const input = openSync(source, 'r');
  let output: number | undefined;
  try {
    // Created read-only: the open descriptor may still write, and no chmod is needed after
    // unless the umask takes bits away (checked on the first object).
    output = openSync(target, 'wx', READONLY_MODE);
    umaskKeepsReadOnly ??= (fstatSync(output).mode & 0o777) === READONLY_MODE;
    if (!umaskKeepsReadOnly) fchmodSync(output, READONLY_MODE);
    copyBuffer ??= Buffer.allocUnsafe(BLOCK_SIZE);
    const buffer = copyBuffer;
    for (;;) {
      const n = readSync(input, buffer, 0, BLOCK_SIZE, null);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      hash.update(chunk);
      let written = 0;
      while (written < n) written += writeSync(output, chunk, written, n - written);
    }
  } finally {
    closeSync(input);
    if (output !== undefined) closeSync(output);
  }
  return hash.digest('hex');
}

/** Copies a file, preferring a copy-on-write clone where the filesystem can make one. */
export function cloneOrCopy(source: string, target: string): void {
  try {
    copyFileSync(source, target, fsConstants.COPYFILE_FICLONE);
  } catch (error) {
    throw translateWriteError(error, target);
  }
}

/** A full disk as one clear error; `into` names where `path` was being copied to, if not itself. */
export function translateWriteError(error: unknown, path: string, into?: string): unknown {
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const doing = into === undefined ? `writing '${path}'` : `copying '${path}' into ${into}`;
    return new SluiceError('NO_SPACE', `no space left on device while ${doing}`, {
      hint: 'free some space (e.g. `sluice gc -w`) and run the command again',
      cause: error,
    });
  }
  return error;
}
