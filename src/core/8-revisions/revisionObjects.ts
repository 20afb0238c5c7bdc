import type { HashName } from '../3-objects/hashFile.js';
import type { Repo } from '../6-repo/repo.js';
import type { RecordedOutput } from './recordedOutputs.js';
import { CommitRevision } from './revision.js';

/**
 * The outputs recorded at a git revision, read from its metafiles without touching the
 * workspace (see readRecordedOutputs).
 */
export async function outputsAtRevision(repo: Repo, rev: string): Promise<RecordedOutput[]> {
  const git = repo.git;
  if (git === null) return [];
  const sha = await git.resolveRev(rev);
  return new CommitRevision(repo, rev, sha).recordedOutputs();
}

export interface RevisionScope {
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  revs?: string[];
}

/** Object ids used by the outputs of the revisions in scope (dir contents from the cache). */
export async function usedAtRevisions(
  repo: Repo,
  scope: RevisionScope,
): Promise<Map<HashName, Set<string>>> {
  const used = new Map<HashName, Set<string>>();
  const git = repo.git;
  if (git === null) return used;
  if (
    scope.allBranches !== true &&
    scope.allTags !== true &&
    scope.allCommits !== true &&
    (scope.revs ?? []).length === 0
  ) {
    return used;
  }
  const revs = await git.iterRevs({
    ...(scope.revs === undefined ? {} : { revs: scope.revs }),
    allBranches: scope.allBranches === true,
    allTags: scope.allTags === true,
    allCommits: scope.allCommits === true,
  });
  for (const sha of revs.keys()) {
    for (const out of await outputsAtRevision(repo, sha)) {
      if (!out.cache) continue;
      let set = used.get(out.hash.name);
      if (set === undefined) {
        set = new Set();
        used.set(out.hash.name, set);
      }
      set.add(out.hash.value);
      if (out.hash.value.endsWith('.dir')) {
        try {
          for (const entry of repo.odb.readDir(out.hash.value, out.hash.name) ?? [])
            set.add(entry.md5);
        } catch {
          // a corrupt listing: its files cannot be named, the listing itself is kept
        }
      }
    }
  }
  await git.close();
  return used;
}
