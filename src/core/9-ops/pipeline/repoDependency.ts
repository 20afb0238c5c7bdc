import { upstreamSha } from '../../6-repo/upstream.js';
import type { Repo } from '../../6-repo/repo.js';
import type { EntryObject } from '../../7-metafiles/entries.js';
import type { Dependency } from '../../7-metafiles/stage.js';

/**
 * What `status` needs of a repo import's dependency (`repo:` with url, rev, rev_lock), apart
 * from the import code, which loads the remote and transfer modules.
 */

/** The `repo:` map of a dependency, or undefined when it is not a repo import. */
export function repoInfoOf(dep: EntryObject | Dependency): EntryObject | undefined {
  const value = dep.repo;
  return typeof value === 'object' && value !== null ? (value as EntryObject) : undefined;
}

/** A non-empty string field of a metafile entry. */
export function stringField(entry: EntryObject, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** 'update available' when the imported revision now names another commit upstream. */
export function repoDependencyStatus(repo: Repo, dep: Dependency): 'update available' | undefined {
  const info = repoInfoOf(dep);
  if (info === undefined) return undefined;
  const url = stringField(info, 'url');
  if (url === undefined) return undefined;
  // Asks the upstream repository (git ls-remote): nothing here witnesses its answer.
  repo.observer.onUnwitnessed(`upstream of ${dep.path}`);
  const upstream = upstreamSha(url, stringField(info, 'rev'), repo.root);
  if (upstream === undefined) return undefined;
  const locked = stringField(info, 'rev_lock') ?? upstream;
  return upstream === locked ? undefined : 'update available';
}

/** How a repo dependency is named in status output: `path (url)`. */
export function repoDependencyName(dep: Dependency): string {
  const url = repoInfoOf(dep)?.url;
  return `${dep.path} (${typeof url === 'string' ? url : ''})`;
}
