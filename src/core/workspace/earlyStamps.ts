import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DVC_DIR, dirStampsFile, findRoot, hashCacheFile } from '../repo/findRoot.js';
import { folderListingFile } from './folderListing.js';
import { SHARED_STAMP_MIN_FILES, startEarlyStamp } from './folderStamp.js';

/**
 * Called first thing by the CLI: for a `status` of the workspace, starts stamping the large
 * folders the repo has hashed before (see startEarlyStamp) while the CLI's modules load.
 * Reads one small file; does nothing for other commands or when anything is missing.
 */
export function startEarlyStamps(argv: readonly string[], cwd: string): void {
  if (argv[0] !== 'status') return;
  // Only the workspace's status stamps folders; the remote's compares the caches.
  if (argv.some((arg) => arg === '-c' || arg === '--cloud' || arg === '-h' || arg === '--help')) {
    return;
  }
  const root = findRoot(cwd);
  if (root === undefined) return;
  const hashFile = hashCacheFile(join(root, DVC_DIR, 'tmp'));
  let stamps: unknown;
  try {
    const file = dirStampsFile(hashFile);
    stamps = (JSON.parse(readFileSync(file, 'utf8')) as { stamps?: unknown }).stamps;
  } catch {
    return; // nothing hashed yet, or a damaged file the hash cache will replace
  }
  if (typeof stamps !== 'object' || stamps === null) return;
  for (const [key, stamp] of Object.entries(stamps)) {
    const nfiles = (stamp as { nfiles?: unknown }).nfiles;
    if (key.startsWith('md5:') && typeof nfiles === 'number' && nfiles >= SHARED_STAMP_MIN_FILES) {
      const relDir = key.slice('md5:'.length);
      startEarlyStamp(root, relDir, folderListingFile(hashFile, relDir));
    }
  }
}
