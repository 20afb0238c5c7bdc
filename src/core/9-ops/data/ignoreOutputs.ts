import type { Repo } from '../../6-repo/repo.js';
import { addIgnoreEntry } from '../../6-repo/gitignore.js';

/**
 * Adds `.gitignore` entries for cached outputs, except those git already ignores. Returns the
 * `.gitignore` files that changed.
 */
export async function ignoreOutputs(repo: Repo, repoPaths: string[]): Promise<string[]> {
  if (repo.git === null || repoPaths.length === 0) return [];
  const ignored = await repo.git.isIgnored(repoPaths);
  const changed: string[] = [];
  for (const path of repoPaths) {
    if (ignored.has(path)) continue;
    const file = addIgnoreEntry(repo.workspace, path);
    if (file !== undefined && !changed.includes(file)) changed.push(file);
  }
  return changed;
}
