import { join } from 'node:path';
import { HashCache } from '../../core/5-workspace/hashCache.js';
import { DVC_DIR, findRoot, hashCacheFile } from '../../core/2-fs/repoPaths.js';
import { SHARED_STAMP_MIN_FILES, startEarlyStamp } from '../../core/5-workspace/folderStamp.js';

/**
 * Called first thing by the CLI: for a `status` of the workspace, starts stamping the large
 * folders the repo has hashed before (see startEarlyStamp) while the CLI's modules load.
 * Reads one small file (the hash cache's folder facts); does nothing for other commands or
 * when the repository or the file is missing.
 */
export function startEarlyStamps(argv: readonly string[], cwd: string): void {
  if (argv[0] !== 'status') return;
  // Only the workspace's status stamps folders; the remote's compares the caches.
  if (argv.some((arg) => arg === '-c' || arg === '--cloud' || arg === '-h' || arg === '--help')) {
    return;
  }
  const root = findRoot(cwd);
  if (root === undefined) return;
  const hashCache = new HashCache(hashCacheFile(join(root, DVC_DIR, 'tmp')));
  for (const relDir of hashCache.foldersWithFiles(SHARED_STAMP_MIN_FILES, 'md5')) {
    startEarlyStamp(root, relDir, hashCache.listingFile(relDir));
  }
}
