import { lstatSync, readdirSync } from 'node:fs';
import { errnoCode } from '../errors.js';
import type { Repo } from '../repo/repo.js';

/**
 * Replaces links into the cache (hardlinks, symlinks, read-only copies) under a workspace path
 * with writable copies, so editing them cannot touch a cache object.
 */
export function unprotectPath(repo: Repo, repoPath: string): void {
  let stats;
  try {
    stats = lstatSync(repo.workspace.resolve(repoPath));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return;
    throw error;
  }
  if (stats.isDirectory()) {
    for (const name of readdirSync(repo.abs(repoPath))) unprotectPath(repo, `${repoPath}/${name}`);
    return;
  }
  const linked = stats.isSymbolicLink() || stats.nlink > 1 || (stats.mode & 0o200) === 0;
  if (!linked) return;
  repo.workspace.replaceWithCopy(repoPath, (stats.mode & 0o111) !== 0 ? 0o755 : 0o644);
}
