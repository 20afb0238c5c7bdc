import type { Repo } from '../../6-repo/repo.js';
import { isInside } from '../../7-metafiles/stageIndex.js';
import type { HashInfo } from '../../7-metafiles/stage.js';
import { hashPath } from '../../5-workspace/hashPath.js';
import { revisionNamed, type Revision } from '../../8-revisions/revision.js';

/**
 * `dvc diff`: tracked data added, deleted, modified, renamed or not in cache between two
 * revisions (or a revision and the workspace), from the outputs recorded at each revision.
 */

/** A hash as DVC prints it: null for an output declared without one. */
export type DiffHash = string | null;

export interface DataDiffItem {
  path: string | { old: string; new: string };
  hash?: DiffHash | { old: DiffHash; new: DiffHash };
}

export interface DataDiffResult {
  added: DataDiffItem[];
  deleted: DataDiffItem[];
  modified: DataDiffItem[];
  renamed: DataDiffItem[];
  'not in cache': DataDiffItem[];
}

interface Entry {
  /** Undefined for an output declared in dvc.yaml with no hash in dvc.lock. */
  hash?: HashInfo;
  /** Undefined when nothing is known of it (no hash): neither a file nor a folder. */
  isDir?: boolean;
  /** For directories: whether the listing is known (its `.dir` object is in the cache). */
  known: boolean;
}

/** Repo-relative path (no trailing slash) → entry. */
type DataIndex = Map<string, Entry>;

function addOutput(repo: Repo, index: DataIndex, path: string, hash: HashInfo | undefined): void {
  if (hash === undefined) {
    index.set(path, { known: false });
    return;
  }
  if (!hash.value.endsWith('.dir')) {
    index.set(path, { hash, isDir: false, known: true });
    return;
  }
  let entries;
  try {
    entries = repo.odb.readDir(hash.value, hash.name);
  } catch {
    entries = undefined;
  }
  index.set(path, { hash, isDir: true, known: entries !== undefined });
  for (const e of entries ?? []) {
    index.set(`${path}/${e.relpath}`, {
      hash: { name: hash.name, value: e.md5 },
      isDir: false,
      known: true,
    });
  }
}

async function indexOf(repo: Repo, rev: Revision): Promise<DataIndex> {
  const meta = await rev.meta();
  const index: DataIndex = new Map();
  for (const out of meta.outs) {
    if (!out.cache) continue;
    if (!rev.isWorkspace) {
      addOutput(repo, index, out.path, out.hash);
      continue;
    }
    const now = hashPath(repo.hashContext, repo.abs(out.path), out.path, out.hash?.name ?? 'md5');
    if (now === undefined) continue;
    const name = out.hash?.name ?? 'md5';
    if (!now.isDir) {
      index.set(out.path, { hash: { name, value: now.hash }, isDir: false, known: true });
      continue;
    }
    index.set(out.path, { hash: { name, value: now.hash }, isDir: true, known: true });
    for (const f of now.files ?? []) {
      index.set(`${out.path}/${f.relpath}`, {
        hash: { name, value: f.md5 },
        isDir: false,
        known: true,
      });
    }
  }
  return index;
}

function underTargets(path: string, targets: string[] | undefined): boolean {
  if (targets === undefined || targets.length === 0) return true;
  return targets.some((t) => t === '' || path === t || isInside(path, t) || isInside(t, path));
}

/** Is the listing of a directory holding `path` unknown on that side? */
function inUnknownDir(index: DataIndex, path: string): boolean {
  for (const [key, entry] of index) {
    if (entry.isDir === true && !entry.known && isInside(path, key)) return true;
  }
  return false;
}

function inCache(repo: Repo, hash: HashInfo): boolean {
  return repo.odb.exists(hash.value, hash.name);
}

/** The path DVC prints: a folder's ends with a slash, one of unknown kind does not. */
function shown(key: string, entry: Entry): string {
  return entry.isDir === true ? `${key}/` : key;
}

function hashOf(entry: Entry): DiffHash {
  return entry.hash?.value ?? null;
}

export interface DataDiffOptions {
  aRev?: string;
  /** Undefined: the workspace, and "not in cache" is computed. */
  bRev?: string;
  /** Repo-relative targets. */
  targets?: string[];
}

/** DVC's `repo.diff`: `{}` when nothing differs. */
export async function dataDiff(
  repo: Repo,
  opts: DataDiffOptions = {},
): Promise<DataDiffResult | Record<string, never>> {
  const git = repo.git;
  if (git === null || !(await git.hasCommits())) return {};
  const withMissing = opts.bRev === undefined;
  try {
    const a = await revisionNamed(repo, opts.aRev ?? 'HEAD');
    const b = await revisionNamed(repo, opts.bRev ?? 'workspace');
    const aSha = 'sha' in a ? (a as { sha: string }).sha : 'workspace';
    const bSha = 'sha' in b ? (b as { sha: string }).sha : 'workspace';
    const result: DataDiffResult = {
      added: [],
      deleted: [],
      modified: [],
      renamed: [],
      'not in cache': [],
    };
    const oldIndex = await indexOf(repo, a);
    // Both names pointing at one commit: nothing to compare.
    const newIndex = aSha === bSha ? oldIndex : await indexOf(repo, b);
    const added: Array<[string, Entry]> = [];
    const deleted: Array<[string, Entry]> = [];
    const keys = [...new Set([...oldIndex.keys(), ...newIndex.keys()])];
    for (const key of keys) {
      if (!underTargets(key, opts.targets)) continue;
      const o = oldIndex.get(key);
      const n = newIndex.get(key);
      if (o !== undefined && n === undefined) {
        if (!inUnknownDir(newIndex, key)) deleted.push([key, o]);
      } else if (o === undefined && n !== undefined) {
        if (!inUnknownDir(oldIndex, key)) added.push([key, n]);
      } else if (
        o !== undefined &&
        n !== undefined &&
        (hashOf(o) !== hashOf(n) || o.isDir !== n.isDir)
      ) {
        result.modified.push({ path: shown(key, o), hash: { old: hashOf(o), new: hashOf(n) } });
      }
      if (withMissing && o?.hash !== undefined && !inCache(repo, o.hash)) {
        result['not in cache'].push({ path: shown(key, o), hash: hashOf(o) });
      }
    }
    // Renames: a deleted and an added entry with the same content.
    for (const [key, n] of added) {
      const match = deleted.findIndex(
        ([, o]) => o.hash !== undefined && hashOf(o) === hashOf(n) && o.isDir === n.isDir,
      );
      if (match >= 0) {
        const [oldKey, o] = deleted.splice(match, 1)[0];
        result.renamed.push({
          path: { old: shown(oldKey, o), new: shown(key, n) },
          hash: hashOf(n),
        });
      } else {
        result.added.push({ path: shown(key, n), hash: hashOf(n) });
      }
    }
    for (const [key, o] of deleted) result.deleted.push({ path: shown(key, o), hash: hashOf(o) });
    const any = (Object.values(result) as DataDiffItem[][]).some((list) => list.length > 0);
    return any ? result : {};
  } finally {
    await git.close();
  }
}
