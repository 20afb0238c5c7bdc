import { chmodSync, copyFileSync, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempNameFor } from '../fs/atomicWrite.js';
import type { Repo } from '../repo/repo.js';

/**
 * Replaces links into the cache (hardlinks, symlinks, read-only copies) under a workspace path
 * with writable copies, so editing them cannot touch a cache object.
 */
export function unprotectPath(repo: Repo, repoPath: string): void {
  unprotectAbs(repo.abs(repoPath));
}

function unprotectAbs(abs: string): void {
  let stats;
  try {
    stats = lstatSync(abs);
  } catch {
    return;
  }
  if (stats.isDirectory()) {
    for (const name of readdirSync(abs)) unprotectAbs(join(abs, name));
    return;
  }
  const linked = stats.isSymbolicLink() || stats.nlink > 1 || (stats.mode & 0o200) === 0;
  if (!linked) return;
  const temp = tempNameFor(abs);
  try {
    copyFileSync(abs, temp);
    chmodSync(temp, (stats.mode & 0o111) !== 0 ? 0o755 : 0o644);
    renameSync(temp, abs);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
