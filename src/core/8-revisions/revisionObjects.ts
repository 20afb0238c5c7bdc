import { posix } from 'node:path';
import { decodeMetafile } from '../7-metafiles/yaml/decode.js';
import { parseYamlFile } from '../7-metafiles/yaml/parse.js';
import type { HashName } from '../3-objects/hashFile.js';
import type { Repo } from '../6-repo/repo.js';
import { readRecordedState, type EntryObject } from '../7-metafiles/entries.js';
import { isDvcFileName } from '../7-metafiles/dvcFile.js';
import type { HashInfo } from '../7-metafiles/stage.js';

/** A cached output as recorded in the metafiles of one git revision. */
export interface RevisionOutput {
  /** Repo-relative path. */
  path: string;
  hash: HashInfo;
  cache: boolean;
  size?: number;
  nfiles?: number;
}

function isMapping(value: unknown): value is EntryObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function outputsOf(entries: unknown, dir: string, cacheDefault: boolean): RevisionOutput[] {
  if (!Array.isArray(entries)) return [];
  const found: RevisionOutput[] = [];
  for (const entry of entries) {
    if (!isMapping(entry) || typeof entry.path !== 'string') continue;
    const state = readRecordedState(entry);
    if (state.hash === undefined) continue;
    const path = posix.normalize(dir === '' ? entry.path : `${dir}/${entry.path}`);
    if (path.startsWith('../') || posix.isAbsolute(path)) continue;
    found.push({
      path,
      hash: state.hash,
      cache: entry.cache === undefined ? cacheDefault : entry.cache !== false,
      ...(state.size === undefined ? {} : { size: state.size }),
      ...(state.nfiles === undefined ? {} : { nfiles: state.nfiles }),
    });
  }
  return found;
}

/**
 * The outputs recorded at a git revision, read from its `.dvc` files and `dvc.lock`s without
 * touching the workspace. Lock entries do not say whether an output is cached; the `dvc.yaml`
 * of the same revision does, and is read for that.
 */
export async function outputsAtRevision(repo: Repo, rev: string): Promise<RevisionOutput[]> {
  const git = repo.git;
  if (git === null) return [];
  const prefix = posix.relative(git.root, repo.root.split('\\').join('/'));
  const tree = await git.lsTree(rev, prefix === '' ? undefined : prefix);
  const wanted = tree.filter(
    (e) =>
      e.type === 'blob' &&
      (isDvcFileName(e.path) ||
        posix.basename(e.path) === 'dvc.lock' ||
        posix.basename(e.path) === 'dvc.yaml'),
  );
  const blobs = await git.readBlobs(wanted.map((e) => ({ rev, path: e.path })));
  const uncached = new Set<string>();
  const outputs: RevisionOutput[] = [];
  wanted.forEach((entry, i) => {
    const blob = blobs[i];
    if (blob === null || blob === undefined) return;
    const repoPath = prefix === '' ? entry.path : posix.relative(prefix, entry.path);
    const dir = posix.dirname(repoPath) === '.' ? '' : posix.dirname(repoPath);
    let data: unknown;
    try {
      const label = `${rev}:${repoPath}`;
      data = parseYamlFile(decodeMetafile(blob, label), label).data;
    } catch {
      return; // a broken metafile in history does not stop the others
    }
    if (!isMapping(data)) return;
    const base = posix.basename(repoPath);
    if (base === 'dvc.yaml') {
      collectUncached(data, dir, uncached);
    } else if (base === 'dvc.lock') {
      const stages = isMapping(data.stages) && data.schema !== undefined ? data.stages : data;
      for (const stage of Object.values(stages)) {
        if (isMapping(stage)) outputs.push(...outputsOf(stage.outs, dir, true));
      }
    } else {
      const wdir =
        typeof data.wdir === 'string' ? posix.normalize(posix.join(dir, data.wdir)) : dir;
      outputs.push(...outputsOf(data.outs, wdir === '.' ? '' : wdir, true));
    }
  });
  for (const out of outputs) if (uncached.has(out.path)) out.cache = false;
  return outputs;
}

function collectUncached(data: EntryObject, dir: string, into: Set<string>): void {
  if (!isMapping(data.stages)) return;
  for (const stage of Object.values(data.stages)) {
    if (!isMapping(stage)) continue;
    const wdir = typeof stage.wdir === 'string' ? posix.join(dir, stage.wdir) : dir;
    for (const key of ['outs', 'metrics', 'plots']) {
      const list = stage[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (!isMapping(item)) continue;
        for (const [path, flags] of Object.entries(item)) {
          if (isMapping(flags) && flags.cache === false) {
            into.add(posix.normalize(wdir === '' ? path : `${wdir}/${path}`));
          }
        }
      }
    }
  }
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
