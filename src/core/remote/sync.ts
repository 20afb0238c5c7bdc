import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { READONLY_MODE } from '../cache/objectStore.js';
import { SluiceError } from '../errors.js';
import { tempNameFor } from '../fs/atomicWrite.js';
import { md5Bytes, md5File, md5FileSync, type HashName } from '../hash/hashFile.js';
import type { Repo } from '../repo/repo.js';
import { entryPath, parseRemoteKey, remoteKey, type UsedOutput } from './objects.js';
import { RemoteNotFoundError, type RemoteStorage } from './storage.js';

/** One object to move, with the name it is reported under. */
interface PlanItem {
  name: HashName;
  oid: string;
  path: string;
  key: string;
}

export interface ObjectProblem {
  path: string;
  oid: string;
  reason: string;
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
}

const RETRIES = 3;

/** Retries transient failures with exponential backoff; a missing object is not transient. */
export async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof RemoteNotFoundError || error instanceof SluiceError) throw error;
      if (attempt >= RETRIES) throw error;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

function itemKey(name: HashName, oid: string): string {
  return `${name}:${oid}`;
}

type EntryItem = PlanItem & { relpath: string };

function dirEntriesOf(repo: Repo, name: HashName, oid: string): EntryItem[] | undefined {
  let entries;
  try {
    entries = repo.odb.readDir(oid, name);
  } catch {
    return undefined;
  }
  return entries?.map((e) => ({
    name,
    oid: e.md5,
    path: '',
    key: remoteKey(name, e.md5),
    relpath: e.relpath,
  }));
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
  const prefixes = new Set(keys.map((k) => k.slice(0, k.lastIndexOf('/') + 1)));
  if (keys.length < pages && keys.length < prefixes.size * 1000) return probeEach();
  const wanted = new Set(keys);
  await Promise.all(
    [...prefixes].map((prefix) =>
      limit(async () => {
        const listed: string[] = [];
        await withRetries(async () => {
          listed.length = 0;
          for await (const key of storage.list(prefix)) listed.push(key);
        });
        for (const key of listed) if (wanted.has(key)) found.add(key);
      }),
    ),
  );
  return found;
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
  const seen = new Set<string>();
  const result: Expanded = { files: [], dirs: [], unknownDirs: [] };
  const addFile = (item: PlanItem): void => {
    const k = itemKey(item.name, item.oid);
    if (seen.has(k)) return;
    seen.add(k);
    result.files.push(item);
  };
  for (const out of outputs) {
    const { name, value } = out.hash;
    const item: PlanItem = { name, oid: value, path: out.path, key: remoteKey(name, value) };
    if (!value.endsWith('.dir')) {
      addFile(item);
      continue;
    }
    if (seen.has(itemKey(name, value))) continue;
    const entries = repo.odb.exists(value, name) ? dirEntriesOf(repo, name, value) : undefined;
    if (entries === undefined) {
      seen.add(itemKey(name, value));
      result.unknownDirs.push(item);
      continue;
    }
    seen.add(itemKey(name, value));
    for (const entry of entries) {
      addFile({
        name: entry.name,
        oid: entry.oid,
        key: entry.key,
        path: entryPath(out.path, entry.relpath),
      });
    }
    result.dirs.push({ item, entries: entries.map((e) => e.key) });
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
  const local = uploads.filter((f) => {
    if (repo.odb.exists(f.oid, f.name)) return true;
    result.missing.push({ path: f.path, oid: f.oid, reason: '' });
    return false;
  });
  const dirUploads = plan.dirs.filter((d) => !onRemote.has(d.item.key));
  options.progress?.total?.(local.length + dirUploads.length);
  const limit = pLimit(Math.max(1, options.jobs));
  const upload = async (item: PlanItem): Promise<boolean> => {
    const source = repo.odb.oidPath(item.oid, item.name);
    try {
      await withRetries(() => storage.upload(source, item.key));
      onRemote.add(item.key);
      result.transferred += 1;
      options.progress?.tick?.(1, sizeOf(source));
      return true;
    } catch (error) {
      result.failed.push({ path: item.path, oid: item.oid, reason: describe(error) });
      return false;
    }
  };
  await Promise.all(local.map((item) => limit(() => upload(item))));
  const ready = dirUploads.filter((d) => d.entries.every((k) => onRemote.has(k)));
  await Promise.all(ready.map((d) => limit(() => upload(d.item))));
  return result;
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
  const fetchOne = async (item: PlanItem): Promise<void> => {
    const outcome = await downloadObject(repo, storage, item);
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
  const dirsFirst = expand(repo, outputs).unknownDirs;
  await Promise.all(dirsFirst.map((d) => limit(() => fetchOne(d))));
  const plan = expand(repo, outputs);
  const wanted = plan.files.filter((f) => !repo.odb.exists(f.oid, f.name));
  options.progress?.total?.(wanted.length + dirsFirst.length);
  await Promise.all(wanted.map((item) => limit(() => fetchOne(item))));
  return result;
}

type DownloadOutcome =
  | { ok: true; bytes: number }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

async function downloadObject(
  repo: Repo,
  storage: RemoteStorage,
  item: PlanItem,
): Promise<DownloadOutcome> {
  const final = repo.odb.oidPath(item.oid, item.name);
  mkdirSync(dirname(final), { recursive: true });
  const temp = tempNameFor(final);
  try {
    await withRetries(() => storage.download(item.key, temp));
    const bytes = sizeOf(temp);
    const actual = item.oid.endsWith('.dir')
      ? md5Bytes(readFileSync(temp)) + '.dir'
      : bytes < 1024 * 1024
        ? md5FileSync(temp, item.name)
        : await md5File(temp, item.name);
    if (actual !== item.oid) {
      await rm(temp, { force: true });
      return {
        ok: false,
        missing: false,
        reason: `object '${item.key}' on the remote is corrupted (its content hashes to ${actual})`,
      };
    }
    chmodSync(temp, READONLY_MODE);
    await rename(temp, final);
    return { ok: true, bytes };
  } catch (error) {
    await rm(temp, { force: true });
    if (error instanceof RemoteNotFoundError) return { ok: false, missing: true };
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
  await Promise.all(
    expand(repo, outputs).unknownDirs.map((d) => limit(() => downloadObject(repo, storage, d))),
  );
  const plan = expand(repo, outputs);
  const items = [...plan.dirs.map((d) => d.item), ...plan.unknownDirs, ...plan.files];
  const onRemote = await remoteExisting(
    storage,
    items.map((i) => i.key),
    jobs,
  );
  const status: Record<string, CloudState> = {};
  const sorted = [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const item of sorted) {
    const local = repo.odb.exists(item.oid, item.name);
    const remote = onRemote.has(item.key);
    if (local && remote) continue;
    status[item.path] = local ? 'new' : remote ? 'deleted' : 'missing';
  }
  return status;
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
  const { openRemote } = await import('./remotes.js');
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
