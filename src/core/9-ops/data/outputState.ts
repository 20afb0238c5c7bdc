import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import { assertWorkspacePath } from '../../5-workspace/guardedWorkspace.js';
import type { HashName } from '../../3-objects/hashFile.js';
import type { Repo } from '../../6-repo/repo.js';
import type { Output, RecordedState } from '../../7-metafiles/stage.js';
import {
  hashPath,
  isExecutable,
  lstatOrUndefined,
  type HashedFile,
  type PathHash,
} from '../../5-workspace/hashPath.js';
import { walkFiles, type WalkedFile } from '../../5-workspace/walk.js';
import { dirObjectHash, serializeDirObject, type DirEntry } from '../../3-objects/dirObject.js';
import type { FileStamp } from '../../5-workspace/hashCache.js';
import { cacheFolderMtime, readCacheFolders } from '../../5-workspace/cacheFolders.js';
import { md5FileSync } from '../../3-objects/hashFile.js';
import { batchBySize, runHashBatches } from '../../3-objects/workerPool.js';

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
  // The cache folders are the witnesses of the folder's objects: one removed or added changes
  // its folder's times.
  const observer = repo.observer;
  const stale = repo.hashCache.staleCacheFolders(hash.value, ino, (folder) => {
    observer.onRead(join(root, folder));
    return cacheFolderMtime(root, folder);
  });
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
    if (!wanted.has(folder)) observer.onRead(join(root, folder));
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
 * The state to record for a dependency as it is now; undefined when it does not exist. As DVC
 * does, a legacy (2.x) record whose content is unchanged stays legacy, and anything else is
 * hashed with 3.x md5.
 */
export function dependencyState(
  repo: Repo,
  repoPath: string,
  recorded: RecordedState,
): RecordedState | undefined {
  const abs = repo.abs(repoPath);
  if (recorded.hash?.name === 'md5-dos2unix') {
    const legacy = hashPath(repo.hashContext, abs, repoPath, 'md5-dos2unix', { listing: false });
    if (legacy !== undefined && legacy.hash === recorded.hash.value) {
      return stateFromHash(legacy, 'md5-dos2unix');
    }
  }
  const now = hashPath(repo.hashContext, abs, repoPath, 'md5', { listing: false });
  return now === undefined ? undefined : stateFromHash(now, 'md5');
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
      repo.odb.addLegacyCopy(abs, now.hash);
    }
    return;
  }
  for (const file of now.files ?? []) {
    if (name === 'md5') {
      repo.odb.addFile(join(abs, file.relpath), file.md5, hardlink);
    } else if (!repo.odb.exists(file.md5, name)) {
      repo.odb.addLegacyCopy(join(abs, file.relpath), file.md5);
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

export interface CheckoutChange {
  path: string;
  change: 'added' | 'modified' | 'deleted';
  isDir: boolean;
}

export interface CheckoutFailure {
  path: string;
  reason: string;
}

/** An output's workspace path as hashed before a checkout, with the files it would lose. */
export interface CheckoutPlan {
  now: PathHash | undefined;
  /** Repo-relative paths of workspace files a checkout would overwrite or delete whose content is in no cache. */
  unsaved: string[];
  /** The folder's listing, when the plan had to read it (the checkout then reads it no more). */
  listing?: DirEntry[];
}

/**
 * Looks at what a checkout of `out` would replace: the workspace path as it is now, and the
 * files among it whose content the cache does not hold (replacing those would lose them). A file
 * whose content is in the cache (an earlier version, say) can always be checked out again.
 */
export function planCheckout(repo: Repo, out: Output): CheckoutPlan {
  const recorded = out.recorded.hash;
  if (recorded === undefined || !out.cache) return { now: undefined, unsaved: [] };
  assertWritableOutput(repo, out.repoPath, recorded.value.endsWith('.dir'));
  const now = hashPath(repo.hashContext, repo.abs(out.repoPath), out.repoPath, recorded.name);
  if (now === undefined || now.hash === recorded.value) return { now, unsaved: [] };
  const saved = (md5: string): boolean => repo.odb.exists(md5, recorded.name);
  if (!now.isDir) return { now, unsaved: saved(now.hash) ? [] : [out.repoPath] };
  let listing: DirEntry[] | undefined;
  if (recorded.value.endsWith('.dir')) {
    // No listing, no checkout: the output fails as not in cache and nothing is touched.
    if (!isInCache(repo, recorded)) return { now, unsaved: [] };
    listing = repo.odb.readDir(recorded.value, recorded.name);
  }
  const listed = new Map((listing ?? []).map((e) => [e.relpath, e.md5]));
  const unsaved: string[] = [];
  for (const file of now.files ?? []) {
    if (listed.get(file.relpath) === file.md5 || saved(file.md5)) continue;
    unsaved.push(`${out.repoPath}/${file.relpath}`);
  }
  return { now, unsaved, ...(listing === undefined ? {} : { listing }) };
}

/** The refusal of a checkout that would lose unsaved files, listing them (as DVC does). */
export function unsavedFilesError(repo: Repo, unsaved: string[]): SluiceError {
  const shown = unsaved.slice(0, 20).map((p) => repo.abs(p));
  const more = unsaved.length > shown.length ? [`… and ${unsaved.length - shown.length} more`] : [];
  return new SluiceError(
    'UNSAVED',
    [
      "Can't remove the following unsaved files without confirmation. Use `--force` to force.",
      ...shown,
      ...more,
    ].join('\n'),
    { hint: 'save them first (`sluice add` or `sluice commit`), or rerun with -f to discard them' },
  );
}

/**
 * Makes the workspace copy of an output match its record, linking from the cache. Objects are
 * checked before they are linked: a corrupt object is reported and never placed. Unless
 * `force`, a file whose content is in no cache is never overwritten or deleted: the checkout
 * refuses before it changes anything (`UNSAVED`).
 */
export function checkoutOutput(
  repo: Repo,
  out: Output,
  options: { force: boolean; relink: boolean },
  plan: CheckoutPlan = planCheckout(repo, out),
): { change?: CheckoutChange; failure?: CheckoutFailure } {
  const recorded = out.recorded.hash;
  if (recorded === undefined || !out.cache) return {};
  const { now } = plan;
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
  if (!options.force && plan.unsaved.length > 0) throw unsavedFilesError(repo, plan.unsaved);
  const ws = repo.workspace;
  const existed = now !== undefined;
  if (isDir) {
    const corrupt = checkoutDir(repo, out, recorded.name, recorded.value, now, plan.listing);
    if (corrupt.length > 0) {
      const shown = corrupt.slice(0, 5).map((relpath) => `'${out.repoPath}/${relpath}'`);
      const more =
        corrupt.length > shown.length ? ` and ${corrupt.length - shown.length} more` : '';
      return {
        failure: {
          path: out.repoPath,
          reason: `cache objects for ${shown.join(', ')}${more} are missing or corrupted`,
        },
      };
    }
    repo.links.recordDir(out.repoPath, recorded.value);
  } else {
    if (!repo.odb.check(recorded.value, recorded.name)) {
      return {
        failure: { path: out.repoPath, reason: `cache object for '${out.repoPath}' is corrupted` },
      };
    }
    if (now !== undefined && now.isDir) ws.remove(out.repoPath, { recursive: true });
    const parent = posix.dirname(out.repoPath);
    if (parent !== '.') ws.mkdir(parent);
    const abs = ws.resolve(out.repoPath);
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

/**
 * Checks a folder out from its listing. A file whose object is missing or corrupt is not placed
 * (what the workspace has there stays); the others are. Returns the relpaths not placed.
 */
function checkoutDir(
  repo: Repo,
  out: Output,
  name: HashName,
  oid: string,
  now: PathHash | undefined,
  listing: DirEntry[] | undefined,
): string[] {
  const ws = repo.workspace;
  const entries = listing ?? repo.odb.readDir(oid, name);
  if (entries === undefined) {
    throw new SluiceError('MISSING_CACHE', `'${out.repoPath}' is not in cache`);
  }
  const targetOf = (relpath: string): string => `${out.repoPath}/${relpath}`;
  // Every target is checked, and every object verified, before the first is written: a listing
  // that would write through a symlink, or a missing object, places nothing.
  const current = new Map((now?.files ?? []).map((f) => [f.relpath, f]));
  for (const entry of entries) ws.resolve(targetOf(entry.relpath));
  // Objects are verified before anything is written; a bad one is reported, never placed.
  const corrupt: string[] = [];
  const toPlace = entries.filter((entry) => {
    if (current.get(entry.relpath)?.md5 === entry.md5) return false;
    if (repo.odb.check(entry.md5, name)) return true;
    corrupt.push(entry.relpath);
    return false;
  });
  if (now !== undefined && !now.isDir) ws.remove(out.repoPath);
  ws.mkdir(out.repoPath);
  const wanted = new Set(entries.map((entry) => entry.relpath));
  // Files the listing does not have go first, so a file may become a folder of the same name.
  for (const relpath of current.keys()) {
    if (wanted.has(relpath)) continue;
    // A file reached through a symlinked folder is not ours to delete: the link itself goes.
    const link = symlinkInside(repo.abs(out.repoPath), relpath);
    ws.remove(targetOf(link ?? relpath));
  }
  // Folders made (or found) once, not asked for again for each of their files.
  const madeDirs = new Set<string>([out.repoPath]);
  for (const entry of toPlace) {
    const target = targetOf(entry.relpath);
    const folder = posix.dirname(target);
    if (!madeDirs.has(folder)) {
      ws.mkdir(folder);
      madeDirs.add(folder);
    }
    const abs = ws.resolve(target);
    // A .dir listing records no exec bits, so files of a folder are checked out plain.
    repo.linker.link(repo.odb.oidPath(entry.md5, name), abs, false);
    const placed = statSync(abs);
    repo.hashCache.set(target, placed, entry.md5, name);
    repo.onFileDone?.(1, placed.size);
  }
  ws.removeEmptyFolders(out.repoPath);
  return corrupt;
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
 * Refuses to place an output where writing would leave the workspace: the repository itself,
 * under `.git` or `.dvc`, or through a symlinked folder (a link committed to point outside the
 * repository). A folder output may not be a symlink itself either, since its files would be
 * written into the target.
 */
export function assertWritableOutput(repo: Repo, repoRel: string, isDir: boolean): void {
  assertWorkspacePath(repoRel);
  const parts = repoRel.split('/');
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

/**
 * The workspace files under an output that deleting it would lose: files whose content is in no
 * cache. An uncached output (a metrics file, say) is saved while it is what its stage last
 * recorded. With `editedOnly`, an output with no record yet (a stage that never ran) loses nothing:
 * its stage is about to make it.
 */
export function unsavedUnder(repo: Repo, out: Output, options: { editedOnly: boolean }): string[] {
  const recorded = out.recorded.hash;
  const name = hashNameFor(out.recorded);
  const now = hashPath(repo.hashContext, repo.abs(out.repoPath), out.repoPath, name);
  if (now === undefined) return [];
  if (recorded === undefined && options.editedOnly) return [];
  if (recorded !== undefined && now.hash === recorded.value) {
    if (!out.cache || isInCache(repo, recorded)) return [];
  }
  return unsavedIn(repo, out.repoPath, now, out.cache ? name : undefined);
}

/**
 * The files at a workspace path (file or folder) whose content is in no cache: what replacing or
 * deleting the path would lose. Checks the path first (`BAD_PATH` for one Sluice never writes).
 */
export function unsavedAt(repo: Repo, repoRel: string): string[] {
  return hashUnsavedAt(repo, repoRel).unsaved;
}

/** `unsavedAt`, with the hash of the path as it is now (undefined when nothing is there). */
function hashUnsavedAt(
  repo: Repo,
  repoRel: string,
): { now: PathHash | undefined; unsaved: string[] } {
  repo.workspace.resolve(repoRel);
  const now = hashPath(repo.hashContext, repo.abs(repoRel), repoRel, 'md5');
  return { now, unsaved: now === undefined ? [] : unsavedIn(repo, repoRel, now, 'md5') };
}

/** With no hash name (an uncached output), every file counts as unsaved. */
function unsavedIn(
  repo: Repo,
  repoRel: string,
  now: PathHash,
  name: HashName | undefined,
): string[] {
  const files = now.isDir
    ? (now.files ?? []).map((f) => ({ path: `${repoRel}/${f.relpath}`, md5: f.md5 }))
    : [{ path: repoRel, md5: now.hash }];
  if (name === undefined) return files.map((f) => f.path);
  return files.filter((f) => !repo.odb.exists(f.md5, name)).map((f) => f.path);
}

/**
 * An import's output path must be one Sluice may write, and whatever is there already must be
 * saved in the cache (or `force`): the import replaces it.
 */
export function assertImportTarget(repo: Repo, outRel: string, force: boolean): void {
  const unsaved = unsavedAt(repo, outRel);
  if (unsaved.length > 0 && !force) {
    throw new SluiceError('ALREADY_EXISTS', `'${outRel}' already exists and is not in the cache`, {
      hint: 'use -f to replace it, or -o to choose another name',
    });
  }
}

/** Throws `UNSAVED` when the workspace copy of an import differs from its record and the cache. */
export function assertNothingUnsaved(
  repo: Repo,
  outRel: string,
  recorded: { md5?: unknown },
): void {
  const { now, unsaved } = hashUnsavedAt(repo, outRel);
  if (unsaved.length > 0 && now?.hash !== recorded.md5) throw unsavedFilesError(repo, unsaved);
}
