import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheFolders } from './hashCache.js';

/** The mtime (ms) of the cache folder `folder` (two hex characters) under `root`, if any. */
export function cacheFolderMtime(root: string, folder: string): number | undefined {
  return statSync(join(root, folder), { throwIfNoEntry: false })?.mtimeMs;
}

/**
 * The cache folders holding the objects `oids`, as they are now, with the time they were read:
 * taken before the objects are looked at, so that a change made after is seen later (see
 * HashCache.staleCacheFolders). A folder that is not there is left out: its objects are missing.
 */
export function readCacheFolders(root: string, oids: Iterable<string>): CacheFolders {
  const checkedAt = Date.now();
  const mtimes: Record<string, number> = {};
  for (const oid of oids) {
    const folder = oid.slice(0, 2);
    if (folder in mtimes) continue;
    const mtime = cacheFolderMtime(root, folder);
    if (mtime !== undefined) mtimes[folder] = mtime;
  }
  return { checkedAt, mtimes };
}
