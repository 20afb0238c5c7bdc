import type { Repo } from '../../6-repo/repo.js';
import type { EntryObject } from '../../7-metafiles/entries.js';
import type { Dependency, RecordedState, Stage } from '../../7-metafiles/stage.js';

/** What `status` says of each external dependency: 'modified', 'deleted', or undefined. */
export type ExternalStatuses = ReadonlyMap<Dependency, 'modified' | 'deleted' | undefined>;

/**
 * A dependency outside the workspace (a URL or a path outside the repository, not a repo
 * import) whose state was recorded. Sluice's `repro` does not record one in `dvc.lock` yet, so
 * one without a recorded checksum is left unchecked rather than always changed.
 */
function isCheckedExternal(dep: Dependency): boolean {
  if (dep.repoPath !== undefined || dep.repo !== undefined || dep.params !== undefined) {
    return false;
  }
  const recorded = dep.recorded;
  return (
    recorded.hash !== undefined || recorded.etag !== undefined || recorded.checksum !== undefined
  );
}

/**
 * Looks at the sources of the external dependencies of the stages that are not frozen (an
 * import-url once unfrozen, or a `dvc.yaml` stage reading a URL), as DVC's status does: their
 * checksum now against the one recorded. Asynchronous (a source may be across the network), so
 * it is done before the synchronous `stageStatus`, which takes the answers.
 */
export async function externalDependencyStatuses(
  repo: Repo,
  stages: readonly Stage[],
): Promise<ExternalStatuses> {
  const deps = stages.filter((s) => !s.frozen).flatMap((s) => s.deps.filter(isCheckedExternal));
  const statuses = new Map<Dependency, 'modified' | 'deleted' | undefined>();
  if (deps.length === 0) return statuses;
  // Loaded only when there is such a dependency: it brings in the storage registry.
  const { externalDependencyState } = await import('../imports/importUrl.js');
  for (const dep of deps) {
    // A source outside the repository can change with nothing here changing: never remembered.
    repo.observer.onUnwitnessed(`external dependency ${dep.path}`);
    const now = await externalDependencyState(repo, dep.stage.wdir, dep.path, dep.fsConfig);
    statuses.set(
      dep,
      now === undefined ? 'deleted' : sameSource(dep.recorded, now) ? undefined : 'modified',
    );
  }
  return statuses;
}

/** Does the source's state now match the recorded one, by the checksum the entry keeps? */
function sameSource(recorded: RecordedState, now: EntryObject): boolean {
  if (recorded.etag !== undefined || now.etag !== undefined) return recorded.etag === now.etag;
  if (recorded.checksum !== undefined || now.checksum !== undefined) {
    return recorded.checksum === now.checksum;
  }
  return recorded.hash !== undefined && recorded.hash.value === now.md5;
}
