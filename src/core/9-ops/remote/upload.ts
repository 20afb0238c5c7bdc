import pLimit from 'p-limit';
import { md5File } from '../../3-objects/hashFile.js';
import type { Repo } from '../../6-repo/repo.js';
import type { UsedOutput } from '../../8-revisions/objects.js';
import { RemoteAccessError } from '../../4-storage/backends/shared.js';
import type { RemoteStorage } from '../../4-storage/storage.js';
import { CorruptSourceError, corruptSourceIn } from '../../4-storage/verifiedUpload.js';
import { localExisting } from './cacheExisting.js';
import { expand, type PlanItem } from './plan.js';
import { remoteExisting } from './remoteExisting.js';
import { describe, sizeOf, withRetries, type SyncOptions, type SyncResult } from './transfer.js';

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
