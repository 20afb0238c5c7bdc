import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  type Stats,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SluiceError } from '../errors.js';
import { tempNameFor } from '../fs/atomicWrite.js';
import type { HashName } from '../hash/hashFile.js';
import type { Repo } from '../repo/repo.js';
import type { Output, RecordedState } from '../stage/stage.js';
import {
  hashPath,
  isExecutable,
  lstatOrUndefined,
  type HashedFile,
  type PathHash,
} from '../workspace/hashPath.js';
import { walkFiles, type WalkedFile } from '../workspace/walk.js';
import { dirObjectHash, serializeDirObject } from '../cache/dirObject.js';
import type { FileStamp } from '../cache/hashCache.js';
import { cacheFolderMtime, readCacheFolders } from '../cache/cacheFolders.js';
import { md5FileSync } from '../hash/hashFile.js';
import { batchBySize, runHashBatches } from '../hash/workerPool.js';

export type OutputStatus = 'deleted' | 'modified' | 'not in cache';

/** The hash name to compare a workspace path with what is recorded (legacy entries stay legacy). */
export function hashNameFor(recorded: RecordedState): HashName {
  return recorded.hash?.name ?? 'md5';
}

/** Hashes an output's workspace path with the hash name its record uses. */
export function hashOutput(repo: Repo, out: Output): PathHash | undefined {
  return hashPath(
    repo.hashContext,
    repo.abs(out.repoPath),
    out.repoPath,
    hashNameFor(out.recorded),
    { listing: false },
  );
}

/**
 * Is every object of this recorded hash in the local cache? For a folder, only the cache folders
 * changed since its files were last all seen there are looked into (see staleCacheFolders).
 */
export function isInCache(repo: Repo, hash: { name: HashName; value: string }): boolean {
  if (!hash.value.endsWith('.dir')) return repo.odb.check(hash.value, hash.name);
  const ino = repo.odb.objectIno(hash.value, hash.name);
  if (ino === undefined) return false;
  const root = repo.odb.rootFor(hash.name);
  const stale = repo.hashCache.staleCacheFolders(hash.value, ino, (folder) =>
    cacheFolderMtime(root, folder),
  );
  if (stale?.length === 0) return true;
  if (!repo.odb.check(hash.value, hash.name)) return false;
  let entries;
  try {
    entries = repo.odb.readDir(hash.value, hash.name);
  } catch (error) {
    // A listing with forged paths or hashes is named, not mistaken for a missing object.
    if (error instanceof SluiceError && error.code === 'BAD_PATH') throw error;
    return false;
  }
  if (entries === undefined) return false;
  const folders = readCacheFolders(
    root,
    entries.map((e) => e.md5),
  );
  // Against the folders just read: one changed in between is looked into as well.
  const recheck =
    stale === undefined
      ? undefined
      : new Set(
          repo.hashCache.staleCacheFolders(hash.value, ino, (folder) => folders.mtimes[folder]),
        );
  const wanted = new Map<string, string[]>();
  for (const entry of entries) {
    const folder = entry.md5.slice(0, 2);
    if (recheck?.has(folder) === false) continue;
    const names = wanted.get(folder);
    if (names === undefined) wanted.set(folder, [entry.md5.slice(2)]);
    else names.push(entry.md5.slice(2));
  }
  for (const [folder, names] of wanted) {
    if (!allInCacheFolder(join(root, folder), names)) return false;
  }
  repo.hashCache.markDirComplete(hash.value, ino, folders);
  return true;
}

/** From this many objects wanted in one cache folder, one listing of it replaces a stat each. */
const LIST_CACHE_FOLDER_FROM = 8;

function allInCacheFolder(folder: string, names: string[]): boolean {
  if (names.length < LIST_CACHE_FOLDER_FROM) {
    return names.every((n) => statSync(join(folder, n), { throwIfNoEntry: false })?.isFile());
  }
  let present: Set<string>;
  try {
    present = new Set(readdirSync(folder));
  } catch {
    return false;
  }
  return names.every((n) => present.has(n));
}

/** DVC's output status (doc 3.5); undefined when unchanged. */
export function outputStatus(
  repo: Repo,
  out: Output,
  current?: PathHash | null,
): OutputStatus | undefined {
  const recorded = out.recorded.hash;
  if (recorded !== undefined && out.cache && !isInCache(repo, recorded)) return 'not in cache';
  const now = current === null ? undefined : (current ?? hashOutput(repo, out));
  if (now === undefined) return 'deleted';
  if (recorded === undefined) return 'modified';
  if (now.hash !== recorded.value) return 'modified';
  return undefined;
}

/** The state to record for a hashed path; legacy hashes are kept only when unchanged. */
export function stateFromHash(now: PathHash, name: HashName): RecordedState {
  const state: RecordedState = { hash: { name, value: now.hash }, size: now.size };
  if (now.nfiles !== undefined) state.nfiles = now.nfiles;
  if (now.isexec) state.isexec = true;
  return state;
}

/**
 * Saves an output's current workspace content: hashes it (3.x md5 unless a legacy record is
 * unchanged), stores the objects in the cache (unless `commit` is false or the output is not
 * cached) and returns the state to record.
 */
export async function saveOutput(
  repo: Repo,
  out: Output,
  options: { commit: boolean },
): Promise<RecordedState> {
  const abs = repo.abs(out.repoPath);
  let now: PathHash | undefined;
  let name: HashName = 'md5';
  if (out.recorded.hash?.name === 'md5-dos2unix') {
    const legacy = hashPath(repo.hashContext, abs, out.repoPath, 'md5-dos2unix');
    if (legacy !== undefined && legacy.hash === out.recorded.hash.value) {
      now = legacy;
      name = 'md5-dos2unix';
    }
  }
  const store = options.commit && out.cache;
  if (now === undefined) {
    now = store
      ? await hashAndCache(repo, abs, out.repoPath)
      : hashPath(repo.hashContext, abs, out.repoPath, 'md5');
  } else if (store) {
    storeInCache(repo, now, abs, name);
  }
  if (now === undefined) {
    throw new SluiceError('NOT_FOUND', `output '${out.repoPath}' does not exist`);
  }
  return stateFromHash(now, name);
}

/**
 * Hashes a workspace file or folder and puts it into the cache in the same pass: a file the hash
 * cache does not know is read once (hashed while it is copied), a known one is copied by the
 * kernel. Returns undefined when the path does not exist.
 */
export async function hashAndCache(
  repo: Repo,
  abs: string,
  repoRel: string,
): Promise<PathHash | undefined> {
  let stats: Stats;
  try {
    stats = statSync(abs);
  } catch {
    return undefined;
  }
  const hardlink = repo.linker.preferred === 'hardlink';
  if (!stats.isDirectory()) {
    return {
      isDir: false,
      hash: await cacheOneFile(repo, abs, repoRel, stats, hardlink),
      size: stats.size,
      isexec: isExecutable(stats),
    };
  }
  const walked: WalkedFile[] = [];
  const digest = walkFiles(abs, repoRel, repo.ignore, (file) => walked.push(file));
  const hashes = await cacheInParallel(repo, walked, repoRel, hardlink);
  const files: HashedFile[] = [];
  let size = 0;
  for (const [i, file] of walked.entries()) {
    let md5 = hashes?.[i];
    if (md5 === undefined) {
      md5 = await cacheOneFile(
        repo,
        file.absPath,
        `${repoRel}/${file.relpath}`,
        file.stats,
        hardlink,
      );
      repo.onFileDone?.(1, file.stats.size);
    }
    size += file.stats.size;
    files.push({ relpath: file.relpath, md5, size: file.stats.size });
  }
  const dirObject = serializeDirObject(files);
  const hash = dirObjectHash(dirObject);
  repo.odb.addBytes(hash, dirObject);
  markComplete(repo, hash, files, 'md5');
  repo.hashCache.setDirStamp(repoRel, {
    digest,
    hash,
    size,
    nfiles: files.length,
  });
  return { isDir: true, hash, size, nfiles: files.length, isexec: false, files, dirObject };
}

/** Below this many files to read, starting worker threads costs more than it saves. */
const PARALLEL_MIN_FILES = 512;

/**
 * Hashes and caches the files of a folder that the hash cache does not vouch for on a pool of
 * worker threads (each file read once, hashed while copied). Answers undefined, leaving the work
 * to the caller, when there is too little of it or no pool; else a hash (or undefined for a file
 * left to the caller) per walked file.
 */
async function cacheInParallel(
  repo: Repo,
  walked: WalkedFile[],
  repoRel: string,
  hardlink: boolean,
): Promise<(string | undefined)[] | undefined> {
  const hashes = new Array<string | undefined>(walked.length);
  const todo: Array<{ index: number; file: WalkedFile; key: string; known: string | null }> = [];
  for (const [index, file] of walked.entries()) {
    const key = `${repoRel}/${file.relpath}`;
    const known = repo.hashCache.get(key, file.stats);
    if (known !== undefined && repo.odb.exists(known)) hashes[index] = known;
    else todo.push({ index, file, key, known: known ?? null });
  }
  if (todo.length < PARALLEL_MIN_FILES) return undefined;
  const batches = batchBySize(todo, (job) => job.file.stats.size);
  const results = await runHashBatches(
    batches.map((batch) => ({
      op: 'store' as const,
      cacheDir: repo.odb.cacheDir,
      hardlink,
      paths: batch.map((job) => job.file.absPath),
      known: batch.map((job) => job.known),
    })),
    (index) => {
      const batch = batches[index] ?? [];
      repo.onFileDone?.(
        batch.length,
        batch.reduce((sum, job) => sum + job.file.stats.size, 0),
      );
    },
  );
  if (results === undefined) return undefined;
  for (const [b, batch] of batches.entries()) {
    for (const [k, job] of batch.entries()) {
      const hash = results[b]?.[k];
      if (hash === undefined) continue;
      repo.hashCache.set(job.key, job.file.stats, hash);
      hashes[job.index] = hash;
    }
  }
  return hashes;
}

/** Files above this size are copied by the kernel while they are hashed. */
const LARGE_FILE = 16 * 1024 * 1024;

async function cacheOneFile(
  repo: Repo,
  abs: string,
  key: string,
  stamp: FileStamp,
  hardlink: boolean,
): Promise<string> {
  const known = repo.hashCache.get(key, stamp);
  if (known !== undefined) {
    if (!repo.odb.exists(known)) repo.odb.addFile(abs, known, hardlink);
    return known;
  }
  let hash: string;
  if (hardlink) hash = repo.odb.addFile(abs, md5FileSync(abs), true);
  else if (stamp.size >= LARGE_FILE) hash = await repo.odb.addLargeFile(abs);
  else hash = repo.odb.addFile(abs);
  repo.hashCache.set(key, stamp, hash);
  return hash;
}

/** Puts a hashed file or folder into the cache. */
export function storeInCache(repo: Repo, now: PathHash, abs: string, name: HashName): void {
  const hardlink = repo.linker.preferred === 'hardlink';
  if (!now.isDir) {
    if (name === 'md5') {
      repo.odb.addFile(abs, now.hash, hardlink);
    } else if (!repo.odb.exists(now.hash, name)) {
      // A legacy object keeps its legacy name and location; copy it there verbatim.
      copyIntoLegacy(repo, abs, now.hash);
    }
    return;
  }
  for (const file of now.files ?? []) {
    if (name === 'md5') {
      repo.odb.addFile(join(abs, file.relpath), file.md5, hardlink);
    } else if (!repo.odb.exists(file.md5, name)) {
      copyIntoLegacy(repo, join(abs, file.relpath), file.md5);
    }
  }
  repo.odb.addBytes(now.hash, now.dirObject ?? '[]', name);
  markComplete(repo, now.hash, now.files ?? [], name);
}

/** Records that every file of a `.dir` object just stored is in the cache. */
function markComplete(
  repo: Repo,
  oid: string,
  files: ReadonlyArray<{ md5: string }>,
  name: HashName,
): void {
  const ino = repo.odb.objectIno(oid, name);
  if (ino === undefined) return;
  const folders = readCacheFolders(
    repo.odb.rootFor(name),
    files.map((f) => f.md5),
  );
  repo.hashCache.markDirComplete(oid, ino, folders);
}

/** A legacy object keeps its legacy name and location; the object holds the raw bytes. */
function copyIntoLegacy(repo: Repo, source: string, oid: string): void {
  const target = repo.odb.oidPath(oid, 'md5-dos2unix');
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

export interface CheckoutChange {
  path: string;
  change: 'added' | 'modified' | 'deleted';
  isDir: boolean;
}

export interface CheckoutFailure {
  path: string;
  reason: string;
}

/**
 * Makes the workspace copy of an output match its record, linking from the cache. Objects are
 * checked before they are linked: a corrupt object is reported and never placed.
 */
export function checkoutOutput(
  repo: Repo,
  out: Output,
  options: { force: boolean; relink: boolean },
): { change?: CheckoutChange; failure?: CheckoutFailure } {
  const recorded = out.recorded.hash;
  if (recorded === undefined || !out.cache) return {};
  assertWritableOutput(repo, out.repoPath, recorded.value.endsWith('.dir'));
  const abs = repo.abs(out.repoPath);
  const now = hashPath(repo.hashContext, abs, out.repoPath, recorded.name);
  const isDir = recorded.value.endsWith('.dir');
  if (now !== undefined && now.hash === recorded.value && !options.relink) return {};
  if (!isInCache(repo, recorded)) {
    return {
      failure: {
        path: out.repoPath,
        reason: `'${out.repoPath}' is not in cache (${recorded.value})`,
      },
    };
  }
  const existed = now !== undefined;
  if (isDir) {
    checkoutDir(repo, out, recorded.name, recorded.value, now);
    repo.links.recordDir(out.repoPath, recorded.value);
  } else {
    if (now !== undefined && now.isDir) rmSync(abs, { recursive: true, force: true });
    mkdirSync(dirname(abs), { recursive: true });
    if (!repo.odb.check(recorded.value, recorded.name)) {
      return {
        failure: { path: out.repoPath, reason: `cache object for '${out.repoPath}' is corrupted` },
      };
    }
    repo.linker.link(
      repo.odb.oidPath(recorded.value, recorded.name),
      abs,
      out.recorded.isexec === true,
    );
    repo.hashCache.set(out.repoPath, statSync(abs), recorded.value, recorded.name);
    repo.links.recordFile(out.repoPath, abs);
  }
  if (now !== undefined && now.hash === recorded.value) return {};
  return {
    change: { path: out.repoPath, change: existed ? 'modified' : 'added', isDir },
  };
}

function checkoutDir(
  repo: Repo,
  out: Output,
  name: HashName,
  oid: string,
  now: PathHash | undefined,
): void {
  const abs = repo.abs(out.repoPath);
  const entries = repo.odb.readDir(oid, name);
  if (entries === undefined) {
    throw new SluiceError('MISSING_CACHE', `'${out.repoPath}' is not in cache`);
  }
  // Every target is checked before the first is written: a listing that would write through a
  // symlink places nothing.
  for (const entry of entries) {
    const link = symlinkInside(abs, entry.relpath);
    if (link !== undefined) throw writeThroughSymlink(`${out.repoPath}/${link}`);
  }
  if (now !== undefined && !now.isDir) rmSync(abs, { force: true });
  mkdirSync(abs, { recursive: true });
  const current = new Map((now?.files ?? []).map((f) => [f.relpath, f]));
  const wanted = new Set<string>();
  // Folders made (or found) once, not asked for again for each of their files.
  const madeDirs = new Set<string>([abs]);
  for (const entry of entries) {
    wanted.add(entry.relpath);
    const existing = current.get(entry.relpath);
    if (existing !== undefined && existing.md5 === entry.md5) continue;
    const target = join(abs, ...entry.relpath.split('/'));
    if (!repo.odb.check(entry.md5, name)) {
      throw new SluiceError(
        'CORRUPT_OBJECT',
        `cache object for '${out.repoPath}/${entry.relpath}' is missing or corrupted`,
        {
          hint: 'fetch it again from a remote, or re-add the data',
        },
      );
    }
    const folder = dirname(target);
    if (!madeDirs.has(folder)) {
      mkdirSync(folder, { recursive: true });
      madeDirs.add(folder);
    }
    // A .dir listing records no exec bits, so files of a folder are checked out plain.
    repo.linker.link(repo.odb.oidPath(entry.md5, name), target, false);
    const placed = statSync(target);
    repo.hashCache.set(`${out.repoPath}/${entry.relpath}`, placed, entry.md5, name);
    repo.onFileDone?.(1, placed.size);
  }
  // Files the listing does not have are removed, so the folder matches its record exactly.
  for (const relpath of current.keys()) {
    if (wanted.has(relpath)) continue;
    // A file reached through a symlinked folder is not ours to delete: the link itself goes.
    const link = symlinkInside(abs, relpath);
    rmSync(join(abs, link ?? relpath), { force: true });
  }
  removeEmptyDirs(abs);
}

function removeEmptyDirs(dir: string): boolean {
  let empty = true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.isSymbolicLink()) {
      if (removeEmptyDirs(join(dir, entry.name))) {
        rmSync(join(dir, entry.name), { recursive: true, force: true });
      } else {
        empty = false;
      }
    } else {
      empty = false;
    }
  }
  return empty;
}

export function isSymlinkedAncestor(repo: Repo, repoRel: string): boolean {
  const parts = repoRel.split('/');
  let current = '';
  for (let i = 0; i < parts.length - 1; i += 1) {
    current = current === '' ? parts[i] : `${current}/${parts[i]}`;
    try {
      if (lstatSync(repo.abs(current)).isSymbolicLink()) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Refuses to place an output where writing would leave the workspace: under `.git` or `.dvc`,
 * or through a symlinked folder (a link committed to point outside the repository). A folder
 * output may not be a symlink itself either, since its files would be written into the target.
 */
export function assertWritableOutput(repo: Repo, repoRel: string, isDir: boolean): void {
  const parts = repoRel.split('/');
  if (parts.includes('.git') || parts[0] === '.dvc') {
    throw new SluiceError('BAD_PATH', `refusing to write output '${repoRel}' inside .git or .dvc`, {
      hint: 'a metafile names an output path that Sluice never writes',
    });
  }
  let current = '';
  const last = isDir ? parts.length : parts.length - 1;
  for (let i = 0; i < last; i += 1) {
    current = current === '' ? parts[i] : `${current}/${parts[i]}`;
    const stats = lstatOrUndefined(repo.abs(current));
    if (stats === undefined) return;
    if (stats.isSymbolicLink()) throw writeThroughSymlink(current);
  }
}

/** The first folder of `relpath` (below `root`, the file itself excluded) that is a symlink. */
function symlinkInside(root: string, relpath: string): string | undefined {
  const parts = relpath.split('/');
  let current = '';
  for (let i = 0; i < parts.length - 1; i += 1) {
    current = current === '' ? parts[i] : `${current}/${parts[i]}`;
    const stats = lstatOrUndefined(join(root, current));
    if (stats === undefined) return undefined;
    if (stats.isSymbolicLink()) return current;
  }
  return undefined;
}

function writeThroughSymlink(link: string): SluiceError {
  return new SluiceError('BAD_PATH', `refusing to write through the symlink '${link}'`, {
    hint: 'the symlink may point outside the repository; remove it and run the command again',
  });
}
