import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { SluiceError } from '../../1-base/errors.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import { READONLY_MODE } from '../../3-objects/objectStore.js';
import { md5Bytes, md5File, md5FileSync, type HashName } from '../../3-objects/hashFile.js';
import { RemoteAccessError } from '../../4-storage/backends/shared.js';
import { RemoteNotFoundError, type RemoteStorage } from '../../4-storage/storage.js';
import type { Repo } from '../../6-repo/repo.js';
import { remoteKey, type UsedOutput } from '../../8-revisions/objects.js';
import { localExisting } from './cacheExisting.js';
import { expand, type PlanItem } from './plan.js';
import { describe, sizeOf, withRetries, type SyncOptions, type SyncResult } from './transfer.js';

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

export type DownloadOutcome =
  | { ok: true; bytes: number }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

/**
 * Downloads one object into the cache, verified. Given a `spare` path, a backend that can write
 * a second copy on the side (see `RemoteStorage.downloadHashed`) does, and once the object is in the cache
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
    const downloadHashed = storage.downloadHashed?.bind(storage);
    if (downloadHashed !== undefined && item.name === 'md5') {
      // The bytes are hashed as they are written: a large object is not read a second time.
      const md5 = await withRetries(() => {
        bytes = 0;
        return downloadHashed(item.key, temp, (n) => (bytes += n), spare);
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
