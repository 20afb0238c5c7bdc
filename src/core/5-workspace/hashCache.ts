import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode } from '../1-base/errors.js';
import { writeFileAtomicSync } from '../2-fs/atomicWrite.js';
import type { HashName } from '../3-objects/hashFile.js';
import { dirStampsFile } from '../2-fs/repoPaths.js';
import { folderListingFile } from './folderListing.js';

/** What identifies a file's content without reading it (a `fs.Stats` is one). */
export interface FileStamp {
  ino: number;
  mtimeMs: number;
  size: number;
}

interface Entry {
  ino: number;
  mtimeMs: number;
  size: number;
  hash: string;
}

const FORMAT = 'sluice-hash-cache 1';

/** A folder's hash and totals, valid while its walk gives the same stamp digest. */
export interface DirStamp {
  digest: string;
  hash: string;
  size: number;
  nfiles: number;
}

interface DirData {
  format: 1;
  stamps: Record<string, DirStamp>;
  /** `.dir` objects whose files were all in the cache, as `oid ino` (see isDirComplete). */
  complete: string[];
  /** For each entry of `complete`: when, and the cache folders as they were then. */
  completeAt?: Record<string, CacheFolders>;
}

/**
 * When a folder's objects were all seen in the cache, and the modification times (ms) of the
 * two-character cache folders holding them, read before the objects were looked at. Removing or
 * renaming an object out of a folder changes the folder's mtime.
 */
export interface CacheFolders {
  checkedAt: number;
  mtimes: Record<string, number>;
}

/**
 * A folder's mtime this close to the moment it was read may still be the mtime of a change made
 * just after (file times come from a clock that ticks every few milliseconds; FAT's every two
 * seconds): such a folder is looked into again rather than trusted.
 */
const RACY_MS = 2000;

class DirStore {
  dirty = false;
  private loaded: DirData | undefined;

  constructor(private readonly file: string) {}

  data(): DirData {
    if (this.loaded !== undefined) return this.loaded;
    let data: DirData = { format: 1, stamps: {}, complete: [] };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<DirData>;
      if (
        parsed.format === 1 &&
        typeof parsed.stamps === 'object' &&
        Array.isArray(parsed.complete)
      ) {
        data = { format: 1, stamps: parsed.stamps ?? {}, complete: parsed.complete };
        if (typeof parsed.completeAt === 'object') data.completeAt = parsed.completeAt;
      }
    } catch {
      // missing or damaged: start afresh, it is only a cache
    }
    this.loaded = data;
    return data;
  }

  save(): void {
    if (!this.dirty || this.loaded === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(this.loaded));
    this.dirty = false;
  }
}
const SEP = '\0';

/**
 * Remembers the hash of a file by (inode, mtime, size), the way DVC's state DB does, so that a
 * second `status` or `add` of unchanged data reads no file contents. One map per hash name.
 *
 * Stored as NUL-separated records in one file under `.dvc/tmp`, loaded whole (100k entries load
 * in tens of milliseconds) and rewritten atomically only when something changed.
 */
export class HashCache {
  private readonly maps = new Map<HashName, Map<string, Entry>>();
  private dirty = false;
  private loaded = false;

  /** Folder-level facts, in a small file of their own, read without the per-file map. */
  private readonly dirs: DirStore;

  constructor(private readonly file: string) {
    this.dirs = new DirStore(dirStampsFile(file));
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    const fields = text.split(SEP);
    if (fields[0] !== FORMAT) return; // unknown or damaged: start afresh, it is only a cache
    for (let i = 1; i + 5 < fields.length; i += 6) {
      const name = fields[i] as HashName;
      const path = fields[i + 1];
      let map = this.maps.get(name);
      if (map === undefined) {
        map = new Map();
        this.maps.set(name, map);
      }
      map.set(path, {
        ino: Number(fields[i + 2]),
        mtimeMs: Number(fields[i + 3]),
        size: Number(fields[i + 4]),
        hash: fields[i + 5],
      });
    }
  }

  /** The remembered hash when the file's inode, mtime and size are unchanged. */
  get(key: string, stats: FileStamp, name: HashName = 'md5'): string | undefined {
    this.load();
    const entry = this.maps.get(name)?.get(key);
    if (entry === undefined) return undefined;
    if (entry.ino !== stats.ino || entry.mtimeMs !== stats.mtimeMs || entry.size !== stats.size) {
      return undefined;
    }
    return entry.hash;
  }

  /** Every remembered file (repo-relative key) with its hash and size when it was hashed. */
  *remembered(
    name: HashName = 'md5',
  ): IterableIterator<{ key: string; hash: string; size: number }> {
    this.load();
    for (const [key, entry] of this.maps.get(name) ?? []) {
      yield { key, hash: entry.hash, size: entry.size };
    }
  }

  set(key: string, stats: FileStamp, hash: string, name: HashName = 'md5'): void {
    this.load();
    let map = this.maps.get(name);
    if (map === undefined) {
      map = new Map();
      this.maps.set(name, map);
    }
    const old = map.get(key);
    if (
      old?.hash === hash &&
      old.ino === stats.ino &&
      old.mtimeMs === stats.mtimeMs &&
      old.size === stats.size
    ) {
      return;
    }
    map.set(key, { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size, hash });
    this.dirty = true;
  }

  /**
   * Which cache folders must be looked into again before the `.dir` object `oid` (whose file has
   * inode `objectIno`) can be said to have all of its files in the cache: none when every file
   * was seen there and no folder holding them changed since (`mtimeOf` gives a folder's mtime
   * now, undefined when it is gone); undefined when nothing trustworthy is recorded (look at
   * every file). An object deleted or moved away by any tool changes its folder's mtime, so a
   * no-op status of a 100k-file folder stats 256 folders rather than 100k objects; a `.dir`
   * object written anew (the cache deleted by hand, the listing fetched back alone) has another
   * inode and is looked at afresh.
   */
  staleCacheFolders(
    oid: string,
    objectIno: number,
    mtimeOf: (folder: string) => number | undefined,
  ): string[] | undefined {
    const data = this.dirs.data();
    const entry = `${oid} ${objectIno}`;
    const folders = data.completeAt?.[entry];
    if (folders === undefined || !data.complete.includes(entry)) return undefined;
    const stale: string[] = [];
    for (const [folder, mtime] of Object.entries(folders.mtimes)) {
      if (mtime >= folders.checkedAt - RACY_MS || mtimeOf(folder) !== mtime) stale.push(folder);
    }
    return stale;
  }

  /** Was this `.dir` object read, and its listing checked, before? (see ObjectStore.readDir) */
  wasDirChecked(oid: string): boolean {
    return this.dirs.data().complete.some((entry) => entry.startsWith(`${oid} `));
  }

  /**
   * Records that every file of the `.dir` object `oid` was in the cache, with the cache folders
   * as read (see CacheFolders) before the files were looked at.
   */
  markDirComplete(oid: string, objectIno: number, folders: CacheFolders): void {
    const data = this.dirs.data();
    const entry = `${oid} ${objectIno}`;
    const known = data.completeAt?.[entry];
    if (
      known !== undefined &&
      data.complete.includes(entry) &&
      known.checkedAt === folders.checkedAt
    ) {
      return;
    }
    const stale = data.complete.filter((e) => e.startsWith(`${oid} `));
    data.complete = data.complete.filter((e) => !e.startsWith(`${oid} `));
    data.complete.push(entry);
    data.completeAt ??= {};
    for (const old of stale) delete data.completeAt[old];
    data.completeAt[entry] = folders;
    this.dirs.dirty = true;
  }

  clearDirComplete(): void {
    const data = this.dirs.data();
    if (data.complete.length === 0) return;
    data.complete = [];
    delete data.completeAt;
    this.dirs.dirty = true;
  }

  /**
   * What was recorded of a folder when it was last hashed: its stamp (every file's path, inode,
   * mtime and size, see walk.ts), hash and totals. A walk giving the same stamp answers a no-op
   * status of a 100k-file folder without the per-file map or the `.dir` listing.
   */
  dirStamp(key: string, name: HashName = 'md5'): DirStamp | undefined {
    return this.dirs.data().stamps[`${name}:${key}`];
  }

  /** Where the listings of the folder `key` are kept between stamps (see FolderListing). */
  listingFile(key: string): string {
    return folderListingFile(this.file, key);
  }

  /**
   * The folders (keys) hashed so far, with `name` or with any hash, that held at least
   * `minFiles` files.
   */
  foldersWithFiles(minFiles: number, name?: HashName): string[] {
    const keys: string[] = [];
    for (const [stampKey, stamp] of Object.entries(this.dirs.data().stamps)) {
      const colon = stampKey.indexOf(':');
      if (stamp.nfiles < minFiles) continue;
      if (name === undefined || stampKey.slice(0, colon) === name) {
        keys.push(stampKey.slice(colon + 1));
      }
    }
    return keys;
  }

  setDirStamp(key: string, stamp: DirStamp, name: HashName = 'md5'): void {
    const data = this.dirs.data();
    const old = data.stamps[`${name}:${key}`];
    if (old?.digest === stamp.digest && old.hash === stamp.hash) return;
    data.stamps[`${name}:${key}`] = stamp;
    this.dirs.dirty = true;
  }

  save(): void {
    this.dirs.save();
    if (!this.dirty) return;
    const parts: string[] = [FORMAT];
    for (const [name, map] of this.maps) {
      for (const [path, e] of map) {
        parts.push(name, path, String(e.ino), String(e.mtimeMs), String(e.size), e.hash);
      }
    }
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, parts.join(SEP) + SEP);
    this.dirty = false;
  }
}
