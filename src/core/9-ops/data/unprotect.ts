import { lstatSync, readdirSync, statSync } from 'node:fs';
import { errnoCode } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';

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
  // A symlink to a folder is the user's, not a link into the cache (those are files).
  if (
    stats.isSymbolicLink() &&
    statSync(repo.abs(repoPath), { throwIfNoEntry: false })?.isDirectory() !== false
  ) {
    return;
  }
  const linked = stats.isSymbolicLink() || stats.nlink > 1 || (stats.mode & 0o200) === 0;
  if (!linked) return;
  repo.workspace.replaceWithCopy(repoPath, (stats.mode & 0o111) !== 0 ? 0o755 : 0o644);
}
