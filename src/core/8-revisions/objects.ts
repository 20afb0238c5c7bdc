import { posix } from 'node:path';
import { assertObjectId } from '../3-objects/objectStore.js';
import type { HashName } from '../3-objects/hashFile.js';
import { outputsAtRevision, type RevisionScope } from './revisionObjects.js';
import { StageIndex, stagesForTargets } from '../7-metafiles/stageIndex.js';
import type { Repo } from '../6-repo/repo.js';
import type { HashInfo } from '../7-metafiles/stage.js';

/** A cached output whose objects a sync moves. */
export interface UsedOutput {
  /** Repo-relative path (names objects in messages and `status -c`). */
  path: string;
  hash: HashInfo;
  /** The output's own `remote:` option. */
  remote?: string;
}

export interface CollectOptions extends RevisionScope {
  targets?: string[];
  /** The cwd the targets are relative to. */
  cwd: string;
  /** Skip `push: false` outputs (push only). */
  forPush?: boolean;
}

/**
 * The outputs whose objects push/fetch/status -c deal with: the workspace's cached outputs (or
 * those of the targets), plus, with -a/-T/-A, those recorded at the chosen git revisions.
 * Repo imports are skipped, as DVC does: their data belongs to the other repository.
 */
export async function collectUsedOutputs(
  repo: Repo,
  options: CollectOptions,
): Promise<UsedOutput[]> {
  const found = new Map<string, UsedOutput>();
  const add = (out: UsedOutput): void => {
    const key = `${out.hash.name}:${out.hash.value}:${out.path}`;
    if (!found.has(key)) found.set(key, out);
  };
  const index = StageIndex.load(repo);
  const targets = options.targets ?? [];
  const stages = stagesForTargets(index, targets, repo.rel(options.cwd));
  for (const stage of stages) {
    if (stage.deps.some((d) => d.repo !== undefined)) continue;
    for (const out of stage.outs) {
      const hash = out.recorded.hash;
      if (hash === undefined || !out.cache) continue;
      if (options.forPush === true && !out.options.push) continue;
      add({
        path: out.repoPath,
        hash,
        ...(out.options.remote === undefined ? {} : { remote: out.options.remote }),
      });
    }
  }
  const git = repo.git;
  const wantsRevs =
    options.allBranches === true ||
    options.allTags === true ||
    options.allCommits === true ||
    (options.revs ?? []).length > 0;
  if (git !== null && wantsRevs) {
    const revs = await git.iterRevs({
      ...(options.revs === undefined ? {} : { revs: options.revs }),
      allBranches: options.allBranches === true,
      allTags: options.allTags === true,
      allCommits: options.allCommits === true,
    });
    const targetPaths = stages.flatMap((s) => s.outs.map((o) => o.repoPath));
    for (const sha of revs.keys()) {
      for (const out of await outputsAtRevision(repo, sha)) {
        if (!out.cache) continue;
        // With targets, other revisions contribute only the same outputs.
        if (targets.length > 0 && !targetPaths.includes(out.path)) continue;
        add({ path: out.path, hash: out.hash });
      }
    }
    await git.close();
  }
  return [...found.values()];
}

/** The remote key of an object: DVC 3's `files/md5/xx/…`, legacy objects at `xx/…`. */
export function remoteKey(name: HashName, oid: string): string {
  assertObjectId(oid);
  const rel = `${oid.slice(0, 2)}/${oid.slice(2)}`;
  return name === 'md5' ? `files/md5/${rel}` : rel;
}

const OBJECT_KEY = /^(files\/md5\/)?([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/;

/** Parses a remote key back into an object (undefined for anything that is not one). */
export function parseRemoteKey(key: string): { name: HashName; oid: string } | undefined {
  const match = OBJECT_KEY.exec(key);
  if (match === null) return undefined;
  return {
    name: match[1] === undefined ? 'md5-dos2unix' : 'md5',
    oid: (match[2] ?? '') + (match[3] ?? ''),
  };
}

/** `dir/file` names for the entries of a directory output, as DVC names them. */
export function entryPath(dirPath: string, relpath: string): string {
  // Relpaths were checked when the listing was parsed (no empty, `.` or `..` segments), so
  // joining needs no normalising unless the folder's own path does.
  const plain = dirPath !== '' && dirPath !== '.' && !dirPath.endsWith('/');
  if (plain && !dirPath.includes('./') && !dirPath.includes('//')) {
    return `${dirPath}/${relpath}`;
  }
  return posix.join(dirPath, relpath);
}
