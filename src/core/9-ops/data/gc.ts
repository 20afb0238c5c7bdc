import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import type { HashName } from '../../3-objects/hashFile.js';
import type { Repo } from '../../6-repo/repo.js';
import { StageIndex } from '../../7-metafiles/stageIndex.js';

export interface GcOptions {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  force?: boolean;
}

export interface GcResult {
  removed: number;
}

/** Object ids (with hash names) used by the outputs of a set of stages. */
export function usedObjects(
  repo: Repo,
  index: StageIndex,
  force: boolean,
): Map<HashName, Set<string>> {
  const used = new Map<HashName, Set<string>>([
    ['md5', new Set()],
    ['md5-dos2unix', new Set()],
  ]);
  for (const out of index.allOutputs()) {
    const hash = out.recorded.hash;
    if (hash === undefined || !out.cache) continue;
    const set = used.get(hash.name) as Set<string>;
    set.add(hash.value);
    if (!hash.value.endsWith('.dir')) continue;
    const entries = repo.odb.readDir(hash.value, hash.name);
    if (entries === undefined) {
      if (!force) {
        throw new SluiceError(
          'MISSING_CACHE',
          `the directory object of '${out.repoPath}' (${hash.value}) is missing from the cache`,
          {
            hint: 'fetch it first, or pass -f to collect garbage anyway',
          },
        );
      }
      continue;
    }
    for (const entry of entries) set.add(entry.md5);
  }
  return used;
}

/** Every object id in one object-store root (`<2>/<rest>` files only). */
export function listObjects(root: string): string[] {
  const oids: string[] = [];
  let prefixes: string[];
  try {
    prefixes = readdirSync(root);
  } catch {
    return oids;
  }
  for (const prefix of prefixes) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const rest of readdirSync(join(root, prefix))) {
      if (/^[0-9a-f]{30}(\.dir)?$/.test(rest)) oids.push(prefix + rest);
    }
  }
  return oids;
}

/**
 * `sluice gc -w`: delete cache objects that no output of the workspace uses. Revisions other
 * than the workspace (-a/-T/-A) are collected through git by the caller.
 */
export function gc(
  repo: Repo,
  options: GcOptions,
  extraUsed: Map<HashName, Set<string>> = new Map(),
): GcResult {
  if (
    options.workspace !== true &&
    options.allBranches !== true &&
    options.allTags !== true &&
    options.allCommits !== true
  ) {
    throw new SluiceError(
      'BAD_ARGUMENTS',
      'either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` or `-A|--all-commits` needs to be set',
      {
        hint: 'to keep only what the workspace uses: sluice gc -w',
      },
    );
  }
  const index = StageIndex.load(repo);
  const used = usedObjects(repo, index, options.force === true);
  for (const [name, set] of extraUsed) for (const oid of set) used.get(name)?.add(oid);
  let removed = 0;
  for (const name of ['md5', 'md5-dos2unix'] as const) {
    const root = repo.odb.rootFor(name);
    const keep = used.get(name) as Set<string>;
    for (const oid of listObjects(root)) {
      if (keep.has(oid)) continue;
      rmSync(repo.odb.oidPath(oid, name), { force: true });
      removed += 1;
    }
  }
  repo.hashCache.clearDirComplete();
  return { removed };
}
