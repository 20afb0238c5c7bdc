import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { READONLY_MODE } from '../../3-objects/objectStore.js';
import { SluiceError } from '../../1-base/errors.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import { md5Bytes, md5File, md5FileSync, type HashName } from '../../3-objects/hashFile.js';
import type { Repo } from '../../6-repo/repo.js';
import {
  entryPath,
  parseRemoteKey,
  remoteKey,
  type UsedOutput,
} from '../../8-revisions/objects.js';
import { RemoteAccessError } from '../../4-storage/backends/shared.js';
import { RemoteNotFoundError, type RemoteStorage } from '../../4-storage/storage.js';
import { CorruptSourceError, corruptSourceIn } from '../../4-storage/verifiedUpload.js';

/** One object to move, with the name it is reported under. */
export interface PlanItem {
  name: HashName;
  oid: string;
  path: string;
  key: string;
}

export interface ObjectProblem {
  path: string;
  oid: string;
  reason: string;
  /** Set when a cache object did not hash to its name, so it was not pushed. */
  corrupted?: true;
}

export interface SyncResult {
  /** Objects transferred (a `.dir` counts as one, as in DVC). */
  transferred: number;
  /** Objects present neither locally nor on the remote. */
  missing: ObjectProblem[];
  /** Transfers that failed (corrupt download, I/O error after retries). */
  failed: ObjectProblem[];
}

export interface SyncProgress {
  /** Called once the number of objects to move is known. */
  total?: (files: number) => void;
  /** Called as objects complete (files) and bytes move. */
  tick?: (files: number, bytes: number) => void;
}

export interface SyncOptions {
  jobs: number;
  progress?: SyncProgress;
  /** Downloads that also leave a copy for the checkout that follows (see SpareCopies). */
  spareCopies?: SpareCopies;
}

/**
 * Second copies of downloads, which `pull`'s checkout renames into the workspace (see
 * `downloadObject`): made in `dir`, for the objects whose workspace path is `wanted`.
 */
export interface SpareCopies {
  dir: string;
  wanted(path: string): boolean;
}

const RETRIES = 3;

/** Retries transient failures with exponential backoff; a missing object is not transient. */
export async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (
        error instanceof RemoteNotFoundError ||
        error instanceof SluiceError ||
        corruptSourceIn(error) !== undefined
      ) {
        throw error;
      }
      if (attempt >= RETRIES) throw error;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** A file of a tracked folder; its workspace path is built only if a message names it. */
class EntryItem implements PlanItem {
  constructor(
    readonly name: HashName,
    readonly oid: string,
    readonly key: string,
    private readonly folder: string,
    private readonly relpath: string,
  ) {}

  get path(): string {
    return entryPath(this.folder, this.relpath);
  }
}

/** The files listed by a cached `.dir` object, or undefined when it cannot be read. */
function dirEntriesOf(
  repo: Repo,
  name: HashName,
  oid: string,
  folder: string,
): EntryItem[] | undefined {
  let entries;
  try {
    entries = repo.odb.readDir(oid, name);
  } catch {
    return undefined;
  }
  return entries?.map((e) => new EntryItem(name, e.md5, remoteKey(name, e.md5), folder, e.relpath));
}

/**
 * Which of `keys` exist on the remote. Few keys, or a remote that cannot list: one query each.
 * Otherwise DVC's estimate: list one prefix to guess the remote's size, and list the prefixes
 * the keys live in unless per-key queries would take fewer requests than listing pages.
 */
export async function remoteExisting(
  storage: RemoteStorage,
  keys: string[],
  jobs: number,
): Promise<Set<string>> {
  const found = new Set<string>();
  if (keys.length === 0) return found;
  const limit = pLimit(Math.max(1, jobs));
  const probeEach = async (): Promise<Set<string>> => {
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          if (await withRetries(() => storage.exists(key))) found.add(key);
        }),
      ),
    );
    return found;
  };
  if (!storage.capabilities.canList || keys.length === 1) return probeEach();
  const length = storage.capabilities.listPrefixLength;
  const probePrefix = length === 2 ? 'files/md5/00/' : 'files/md5/00/0';
  let sample = 0;
  for await (const _key of storage.list(probePrefix)) sample += 1;
  const estimated = sample * (length === 2 ? 256 : 4096);
  const pages = Math.ceil(estimated / 1000) * (estimated > 500_000 ? 5 : 1);
  const folders = new Set(keys.map((k) => listingPrefix(k, 2)));
  if (keys.length < pages && keys.length < folders.size * 1000) return probeEach();
  // A folder listing is cheap on a disk or over SFTP. An object store answers a page of up to
  // 1000 keys per request and a prefix's pages come one after another, so it is listed by the
  // hash's first character, 16 prefixes side by side (`files/md5/0` … `f`): a remote of 10,000
  // objects is 16 requests rather than 256, and up to ~250,000 objects no more requests in a row
  // than with 256 prefixes. A remote of at most one page is listed in one request.
  const hexChars = length === 2 ? 2 : estimated > 1_000 ? 1 : 0;
  const prefixes = hexChars === 2 ? folders : new Set(keys.map((k) => listingPrefix(k, hexChars)));
  const wanted = new Set(keys);
  const listAll = async (prefix: string): Promise<string[]> => {
    if (listsAtOnce(storage)) return storage.listAll(prefix);
    const listed: string[] = [];
    for await (const key of storage.list(prefix)) listed.push(key);
    return listed;
  };
  await Promise.all(
    foldersTogether(storage, prefixes).map((prefix) =>
      limit(async () => {
        const listed = await withRetries(() => listAll(prefix));
        for (const key of listed) if (wanted.has(key)) found.add(key);
      }),
    ),
  );
  return found;
}

/** From this many wanted folders of one parent, a backend that lists at once lists the parent. */
const WHOLE_PARENT_FROM = 64;

/**
 * The prefixes to list: for a folder-based backend that reads a whole listing at once (a local
 * folder, read synchronously), the parent of many wanted folders (`files/md5/`) in one call
 * rather than each folder in a call of its own.
 */
function foldersTogether(storage: RemoteStorage, prefixes: Set<string>): string[] {
  if (!listsAtOnce(storage) || storage.capabilities.listPrefixLength !== 2) return [...prefixes];
  const byParent = new Map<string, string[]>();
  for (const prefix of prefixes) {
    if (!prefix.endsWith('/')) return [...prefixes];
    const parent = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
    const group = byParent.get(parent);
    if (group === undefined) byParent.set(parent, [prefix]);
    else group.push(prefix);
  }
  return [...byParent].flatMap(([parent, group]) =>
    group.length >= WHOLE_PARENT_FROM ? [parent] : group,
  );
}

/**
 * The prefix that lists the objects sharing the first `hexChars` (0–2) characters of `key`'s
 * hash: `files/md5/ab/cd…` gives `files/md5/`, `files/md5/a` or `files/md5/ab/` (the object's
 * folder). Legacy keys (`ab/cd…`) work the same way from the remote's root.
 */
function listingPrefix(key: string, hexChars: 0 | 1 | 2): string {
  const last = key.lastIndexOf('/');
  if (hexChars === 2) return key.slice(0, last + 1);
  const folderStart = key.lastIndexOf('/', last - 1) + 1;
  return key.slice(0, folderStart + hexChars);
}

/**
 * A backend that returns a whole listing at once: for a local folder or an S3 bucket, handing
 * 10,000 keys one by one through an async iterator costs more than the listing itself.
 */
interface ListsAtOnce {
  listAll(prefix: string): Promise<string[]>;
}

function listsAtOnce(storage: RemoteStorage): storage is RemoteStorage & ListsAtOnce {
  return typeof (storage as Partial<ListsAtOnce>).listAll === 'function';
}

/** Below this many wanted objects in one cache folder, a stat each is cheaper than a listing. */
const LIST_LOCAL_FROM = 16;

/**
 * Which of `items` are in the local cache. Where many objects share a cache folder (a pushed
 * folder of 10,000 files fills all 256 of them), one listing of the folder replaces a stat per
 * object; otherwise each object is checked alone.
 */
function localExisting(repo: Repo, items: readonly PlanItem[]): Set<string> {
  const found = new Set<string>();
  for (const _step of localExistingSteps(repo, items, found));
  return found;
}

/**
 * `localExisting` in turns of a few cache folders, giving way to the event loop between them:
 * run while listings of the remote are in flight, it costs no wall time.
 */
async function localExistingInTurns(repo: Repo, items: readonly PlanItem[]): Promise<Set<string>> {
  const found = new Set<string>();
  let folders = 0;
  for (const _step of localExistingSteps(repo, items, found)) {
    if (++folders % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return found;
}

/** Checks one cache folder's share of `items` per step, adding the ones present to `found`. */
function* localExistingSteps(
  repo: Repo,
  items: readonly PlanItem[],
  found: Set<string>,
): Generator<void> {
  const byFolder = new Map<string, PlanItem[]>();
  for (const item of items) {
    const folder = `${item.name}:${item.oid.slice(0, 2)}`;
    const group = byFolder.get(folder);
    if (group === undefined) byFolder.set(folder, [item]);
    else group.push(item);
  }
  for (const group of byFolder.values()) {
    const first = group[0];
    if (first === undefined) continue;
    if (group.length < LIST_LOCAL_FROM) {
      for (const item of group) if (repo.odb.exists(item.oid, item.name)) found.add(item.key);
    } else {
      const folder = dirname(repo.odb.oidPath(first.oid, first.name));
      let files: Set<string>;
      try {
        // A cache folder holds only objects (and temporary files, whose names differ).
        files = new Set(readdirSync(folder));
      } catch {
        files = new Set(); // no folder: none of these objects is here
      }
      for (const item of group) if (files.has(item.oid.slice(2))) found.add(item.key);
    }
    yield;
  }
}

interface Expanded {
  /** File objects (including dir entries), deduplicated. */
  files: PlanItem[];
  /** Directory objects with the keys of their entries. */
  dirs: Array<{ item: PlanItem; entries: string[] }>;
  /** `.dir` objects that are not in the local cache (contents unknown). */
  unknownDirs: PlanItem[];
}

function expand(repo: Repo, outputs: UsedOutput[]): Expanded {
  // A remote key names one object (hash name and id), so it is what duplicates share.
  const seen = new Set<string>();
  const result: Expanded = { files: [], dirs: [], unknownDirs: [] };
  for (const out of outputs) {
    const { name, value } = out.hash;
    const key = remoteKey(name, value);
    if (seen.has(key)) continue;
    seen.add(key);
    const item: PlanItem = { name, oid: value, path: out.path, key };
    if (!value.endsWith('.dir')) {
      result.files.push(item);
      continue;
    }
    const entries = repo.odb.exists(value, name)
      ? dirEntriesOf(repo, name, value, out.path)
      : undefined;
    if (entries === undefined) {
      result.unknownDirs.push(item);
      continue;
    }
    const keys = new Array<string>(entries.length);
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i];
      keys[i] = entry.key;
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      result.files.push(entry);
    }
    result.dirs.push({ item, entries: keys });
  }
  return result;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Push: upload the objects the remote lacks. Files first; a directory's `.dir` object only after
 * every file of it is on the remote, so a remote never holds a listing with missing files.
 */
export async function pushObjects(
  repo: Repo,
  storage: RemoteStorage,
  outputs: UsedOutput[],
  options: SyncOptions,
): Promise<SyncResult> {
  const result: SyncResult = { transferred: 0, missing: [], failed: [] };
  const plan = expand(repo, outputs);
  const allKeys = [
    ...plan.files.map((f) => f.key),
    ...plan.dirs.map((d) => d.item.key),
    ...plan.unknownDirs.map((d) => d.key),
  ];
  const onRemote = await remoteExisting(storage, allKeys, options.jobs);
  for (const dir of plan.unknownDirs) {
    if (!onRemote.has(dir.key)) result.missing.push({ path: dir.path, oid: dir.oid, reason: '' });
  }
  const uploads = plan.files.filter((f) => !onRemote.has(f.key));
  const inCache = localExisting(repo, uploads);
  const local = uploads.filter((f) => {
    if (inCache.has(f.key)) return true;
    result.missing.push({ path: f.path, oid: f.oid, reason: '' });
    return false;
  });
  const dirUploads = plan.dirs.filter((d) => !onRemote.has(d.item.key));
  options.progress?.total?.(local.length + dirUploads.length);
  const limit = pLimit(Math.max(1, options.jobs));
  const upload = async (item: PlanItem): Promise<boolean> => {
    const source = repo.odb.oidPath(item.oid, item.name);
    try {
      const md5 = await expectedMd5(item, source);
      await withRetries(() => storage.upload(source, item.key, undefined, md5));
      onRemote.add(item.key);
      result.transferred += 1;
      options.progress?.tick?.(1, sizeOf(source));
      return true;
    } catch (error) {
      if (error instanceof RemoteAccessError) throw error;
      const corrupt = corruptSourceIn(error);
      result.failed.push(
        corrupt === undefined
          ? { path: item.path, oid: item.oid, reason: describe(error) }
          : { path: item.path, oid: item.oid, reason: corrupt.message, corrupted: true },
      );
      return false;
    }
  };
  await Promise.all(local.map((item) => limit(() => upload(item))));
  const ready = dirUploads.filter((d) => d.entries.every((k) => onRemote.has(k)));
  await Promise.all(ready.map((d) => limit(() => upload(d.item))));
  return result;
}

/**
 * The md5 an object's bytes must have to be uploaded under its name, checked by the backend in
 * the read that sends them. A legacy (md5-dos2unix) file object is named after its bytes with
 * CRLF turned to LF, which no backend computes: it is hashed just before, here, and sent as is.
 */
async function expectedMd5(item: PlanItem, source: string): Promise<string | undefined> {
  if (item.name === 'md5' || item.oid.endsWith('.dir')) return item.oid.replace(/\.dir$/, '');
  const actual = await md5File(source, item.name);
  if (actual !== item.oid) throw new CorruptSourceError(source, actual);
  return undefined;
}

/**
 * Fetch: download what the cache lacks. Each object goes to a temporary name beside its final
 * place, is hashed, and is renamed only when the hash matches.
 */
export async function fetchObjects(
  repo: Repo,
  storage: RemoteStorage,
  outputs: UsedOutput[],
  options: SyncOptions,
): Promise<SyncResult> {
  const result: SyncResult = { transferred: 0, missing: [], failed: [] };
  const limit = pLimit(Math.max(1, options.jobs));
  const madeDirs = new Set<string>(); // cache folders made once, not once per object
  const fetchOne = async (item: PlanItem): Promise<void> => {
    const spares = options.spareCopies;
    const spare =
      spares !== undefined && spares.wanted(item.path) && !item.oid.endsWith('.dir')
        ? tempNameFor(join(spares.dir, item.oid))
        : undefined;
    const outcome = await downloadObject(repo, storage, item, madeDirs, spare);
    if (outcome.ok) {
      result.transferred += 1;
      options.progress?.tick?.(1, outcome.bytes);
    } else if (outcome.missing) {
      result.missing.push({ path: item.path, oid: item.oid, reason: '' });
    } else {
      result.failed.push({ path: item.path, oid: item.oid, reason: outcome.reason });
    }
  };
  // Listings first: the files of a directory are known only once its `.dir` object is here.
  let plan = expand(repo, outputs);
  const dirsFirst = plan.unknownDirs;
  if (dirsFirst.length > 0) {
    await Promise.all(dirsFirst.map((d) => limit(() => fetchOne(d))));
    plan = expand(repo, outputs);
  }
  const inCache = localExisting(repo, plan.files);
  const wanted = plan.files.filter((f) => !inCache.has(f.key));
  options.progress?.total?.(wanted.length + dirsFirst.length);
  await Promise.all(wanted.map((item) => limit(() => fetchOne(item))));
  return result;
}

/**
 * A backend that hashes what it downloads in the same pass (the md5 of the bytes written to
 * `localPath`, which the caller still compares with the object's id before using it). Given a
 * `spare` path, a backend may write the same bytes there too, when it can do so on the side (the
 * local one does, in the thread pool); the caller looks for the file.
 */
interface HashingDownloads {
  downloadHashed(
    key: string,
    localPath: string,
    onBytes?: (bytes: number) => void,
    spare?: string,
  ): Promise<string>;
}

function canHashDownloads(storage: RemoteStorage): storage is RemoteStorage & HashingDownloads {
  return typeof (storage as Partial<HashingDownloads>).downloadHashed === 'function';
}

export type DownloadOutcome =
  | { ok: true; bytes: number }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

/**
 * Downloads one object into the cache, verified. Given a `spare` path, a backend that can write
 * a second copy on the side (see `HashingDownloads`) does, and once the object is in the cache
 * that copy is offered to the linker: `pull`'s checkout then renames it into the workspace
 * instead of copying the object again, one file after the other, after all the downloads.
 */
export async function downloadObject(
  repo: Repo,
  storage: RemoteStorage,
  item: PlanItem,
  madeDirs?: Set<string>,
  spare?: string,
): Promise<DownloadOutcome> {
  const final = repo.odb.oidPath(item.oid, item.name);
  const folder = dirname(final);
  if (madeDirs?.has(folder) !== true) {
    mkdirSync(folder, { recursive: true });
    madeDirs?.add(folder);
  }
  const temp = tempNameFor(final);
  const removeSpare = (): Promise<void> =>
    spare === undefined ? Promise.resolve() : rm(spare, { force: true });
  try {
    let actual: string;
    let bytes = 0;
    if (canHashDownloads(storage) && item.name === 'md5') {
      // The bytes are hashed as they are written: a large object is not read a second time.
      const md5 = await withRetries(() => {
        bytes = 0;
        return storage.downloadHashed(item.key, temp, (n) => (bytes += n), spare);
      });
      actual = item.oid.endsWith('.dir') ? `${md5}.dir` : md5;
    } else {
      await withRetries(() => storage.download(item.key, temp));
      bytes = sizeOf(temp);
      actual = item.oid.endsWith('.dir')
        ? md5Bytes(readFileSync(temp)) + '.dir'
        : bytes < 1024 * 1024
          ? md5FileSync(temp, item.name)
          : await md5File(temp, item.name);
    }
    if (actual !== item.oid) {
      await Promise.all([rm(temp, { force: true }), removeSpare()]);
      return {
        ok: false,
        missing: false,
        reason: `object '${item.key}' on the remote is corrupted (its content hashes to ${actual})`,
      };
    }
    chmodSync(temp, READONLY_MODE);
    await rename(temp, final);
    if (spare !== undefined && existsSync(spare)) repo.linker.offerSpare(final, spare);
    return { ok: true, bytes };
  } catch (error) {
    await Promise.all([rm(temp, { force: true }), removeSpare()]);
    if (error instanceof RemoteNotFoundError) return { ok: false, missing: true };
    // Refused credentials fail every object alike: the transfer stops with one clear error.
    if (error instanceof RemoteAccessError) throw error;
    return { ok: false, missing: false, reason: describe(error) };
  }
}

export type CloudState = 'new' | 'deleted' | 'missing';

/**
 * `status -c`: for each object, `new` (only in the cache), `deleted` (only on the remote) or
 * `missing` (in neither). Objects in both are in sync and left out.
 */
export async function cloudStatus(
  repo: Repo,
  storage: RemoteStorage,
  outputs: UsedOutput[],
  jobs: number,
): Promise<Record<string, CloudState>> {
  // As DVC does, listings missing from the cache are fetched (verified) to name their files.
  const limit = pLimit(Math.max(1, jobs));
  let plan = expand(repo, outputs);
  if (plan.unknownDirs.length > 0) {
    await Promise.all(plan.unknownDirs.map((d) => limit(() => downloadObject(repo, storage, d))));
    plan = expand(repo, outputs);
  }
  const items = [...plan.dirs.map((d) => d.item), ...plan.unknownDirs, ...plan.files];
  // The cache is checked while the remote is asked.
  const [onRemote, inCache] = await Promise.all([
    remoteExistingByDirs(storage, plan, items, jobs),
    localExistingInTurns(repo, items),
  ]);
  const differing: Array<{ path: string; state: CloudState }> = [];
  for (const item of items) {
    const local = inCache.has(item.key);
    const remote = onRemote.has(item.key);
    if (local && remote) continue;
    differing.push({ path: item.path, state: local ? 'new' : remote ? 'deleted' : 'missing' });
  }
  differing.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const status: Record<string, CloudState> = {};
  for (const { path, state } of differing) status[path] = state;
  return status;
}

/**
 * Which of `items` the remote holds, as DVC's `status -c` decides it: a folder whose `.dir`
 * object is on the remote counts as complete there, since push uploads the listing only after
 * every file of it. Only the other objects are looked up one by one or in listings, so a pushed
 * folder of 10,000 files costs one query rather than a listing of the remote.
 */
async function remoteExistingByDirs(
  storage: RemoteStorage,
  plan: Expanded,
  items: readonly PlanItem[],
  jobs: number,
): Promise<Set<string>> {
  const dirKeys = [...plan.dirs.map((d) => d.item.key), ...plan.unknownDirs.map((d) => d.key)];
  const found = await remoteExisting(storage, dirKeys, jobs);
  for (const dir of plan.dirs) {
    if (found.has(dir.item.key)) for (const key of dir.entries) found.add(key);
  }
  const asked = new Set(dirKeys);
  const rest = items.filter((i) => !found.has(i.key) && !asked.has(i.key)).map((i) => i.key);
  for (const key of await remoteExisting(storage, rest, jobs)) found.add(key);
  return found;
}

/** Every file under the local run cache, as remote keys `runs/…`. */
function localRunKeys(repo: Repo): string[] {
  const keys: string[] = [];
  const walk = (dir: string, key: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(join(dir, e.name), `${key}${e.name}/`);
      else if (e.isFile()) keys.push(`${key}${e.name}`);
    }
  };
  walk(join(repo.cacheDir, 'runs'), 'runs/');
  return keys;
}

/** `--run-cache`: the `runs/` tree is copied as is in the direction of the sync. */
export async function syncRunCache(
  repo: Repo,
  storage: RemoteStorage,
  direction: 'push' | 'fetch',
  options: SyncOptions,
): Promise<SyncResult> {
  const result: SyncResult = { transferred: 0, missing: [], failed: [] };
  if (!storage.capabilities.canList) {
    throw new SluiceError('REMOTE', `run cache is not supported for '${storage.displayUrl}'`, {
      hint: 'use a remote that can list files (not plain http)',
    });
  }
  const remoteKeys = new Set<string>();
  for await (const key of storage.list('runs/')) remoteKeys.add(key);
  const localKeys = localRunKeys(repo);
  const limit = pLimit(Math.max(1, options.jobs));
  const localPath = (key: string): string => join(repo.cacheDir, ...key.split('/'));
  if (direction === 'push') {
    const todo = localKeys.filter((k) => !remoteKeys.has(k));
    await Promise.all(
      todo.map((key) =>
        limit(async () => {
          try {
            await withRetries(() => storage.upload(localPath(key), key));
            result.transferred += 1;
            options.progress?.tick?.(1, 0);
          } catch (error) {
            result.failed.push({ path: key, oid: '', reason: describe(error) });
          }
        }),
      ),
    );
    return result;
  }
  const have = new Set(localKeys);
  const todo = [...remoteKeys].filter((k) => !have.has(k));
  await Promise.all(
    todo.map((key) =>
      limit(async () => {
        const final = localPath(key);
        mkdirSync(dirname(final), { recursive: true });
        const temp = tempNameFor(final);
        try {
          await withRetries(() => storage.download(key, temp));
          await rename(temp, final);
          result.transferred += 1;
          options.progress?.tick?.(1, 0);
        } catch (error) {
          await rm(temp, { force: true });
          result.failed.push({ path: key, oid: '', reason: describe(error) });
        }
      }),
    ),
  );
  return result;
}

/** `gc -c`: deletes remote objects (3.x and legacy) that are not in `used`. */
export async function gcRemote(
  storage: RemoteStorage,
  used: Map<HashName, Set<string>>,
  jobs: number,
): Promise<number> {
  const doomed: string[] = [];
  for await (const key of storage.list('')) {
    const parsed = parseRemoteKey(key);
    if (parsed === undefined) continue;
    if (used.get(parsed.name)?.has(parsed.oid) === true) continue;
    doomed.push(key);
  }
  const limit = pLimit(Math.max(1, jobs));
  await Promise.all(doomed.map((key) => limit(() => withRetries(() => storage.delete(key)))));
  return doomed.length;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Fetches one object from a remote into the local cache (hash-verified, as every download), for
 * `sluice ui` serving a file that only the remote has. Throws when the remote lacks it or it is
 * corrupted there.
 */
export async function fetchOneObject(
  repo: Repo,
  remoteName: string | undefined,
  oid: string,
  name: HashName,
): Promise<void> {
  const { openRemote } = await import('../../6-repo/remotes.js');
  const remote = await openRemote(repo.config, remoteName);
  try {
    const outcome = await downloadObject(repo, remote.storage, {
      name,
      oid,
      path: oid,
      key: remoteKey(name, oid),
    });
    if (!outcome.ok) {
      throw new SluiceError(
        'REMOTE',
        outcome.missing
          ? `object ${oid} is not on remote '${remote.name}'`
          : `remote '${remote.name}': ${outcome.reason}`,
      );
    }
  } finally {
    await remote.storage.close();
  }
}
