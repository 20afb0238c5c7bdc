/** Where a repository and its Sluice state files are, computed without opening it. */
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NO_OBSERVER, type ReadObserver } from './readObserver.js';

export const DVC_DIR = '.dvc';

/**
 * Finds the nearest folder at or above `cwd` that holds a `.dvc` folder. Each `.dvc` looked
 * for is a read: one made in a folder between `cwd` and the root would move the root.
 */
export function findRoot(cwd: string, observer: ReadObserver = NO_OBSERVER): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    try {
      observer.onRead(join(dir, DVC_DIR));
      if (statSync(join(dir, DVC_DIR)).isDirectory()) return dir;
    } catch {
      // keep looking upwards
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Sluice's repo lock (see RepoLock) in a repo's `.dvc/tmp`: DVC's lock is a file of its own. */
export function repoLockFile(tmpDir: string): string {
  return join(tmpDir, 'sluice.lock');
}

/** The hash cache's file (see HashCache) in a repo's `.dvc/tmp`. */
export function hashCacheFile(tmpDir: string): string {
  return join(tmpDir, 'sluice', 'hashes');
}

/** The file of folder-level facts beside the hash cache's file. */
export function dirStampsFile(hashFile: string): string {
  return `${hashFile}-dirs.json`;
}
