import { rmSync, statSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { isInside, StageIndex, stagesForTargets } from '../stage/stageIndex.js';
import { hashPath } from '../workspace/hashPath.js';
import { checkoutOutput, type CheckoutFailure } from './outputState.js';

export interface CheckoutOptions {
  cwd: string;
  force?: boolean;
  relink?: boolean;
  /** Skip outputs whose objects are not in the cache instead of failing. */
  allowMissing?: boolean;
}

export interface CheckoutResult {
  modified: string[];
  added: string[];
  deleted: string[];
  failed: CheckoutFailure[];
}

/** `sluice checkout`: make the workspace match the metafiles, from the cache. */
export function checkout(repo: Repo, targets: string[], options: CheckoutOptions): CheckoutResult {
  const index = StageIndex.load(repo);
  const cwdRel = repo.rel(options.cwd);
  const stages = stagesForTargets(index, targets, cwdRel);
  const result: CheckoutResult = { modified: [], added: [], deleted: [], failed: [] };
  for (const stage of stages) {
    for (const out of stage.outs) {
      const { change, failure } = checkoutOutput(repo, out, {
        force: options.force === true,
        relink: options.relink === true,
      });
      if (failure !== undefined) {
        if (options.allowMissing !== true) result.failed.push(failure);
        continue;
      }
      if (change === undefined) continue;
      const shown = change.isDir ? `${change.path}/` : change.path;
      (change.change === 'added' ? result.added : result.modified).push(shown);
    }
  }
  if (targets.length === 0) removeStaleLinks(repo, index, result);
  return result;
}

/**
 * Deletes workspace paths that Sluice placed earlier and that no output claims any more, when
 * they are still exactly as placed (DVC's links DB cleanup).
 */
function removeStaleLinks(repo: Repo, index: StageIndex, result: CheckoutResult): void {
  const claimed = index.allOutputs().map((o) => o.repoPath);
  for (const path of repo.links.paths()) {
    if (claimed.some((c) => c === path || isInside(path, c))) continue;
    const entry = repo.links.get(path);
    const abs = repo.abs(path);
    let unchanged = false;
    if (entry?.dirHash !== undefined) {
      unchanged =
        hashPath(repo.hashContext, abs, path, 'md5', { listing: false })?.hash === entry.dirHash;
    } else if (entry !== undefined) {
      try {
        const stats = statSync(abs);
        unchanged = stats.ino === entry.ino && stats.mtimeMs === entry.mtimeMs;
      } catch {
        unchanged = false;
      }
    }
    repo.links.forget(path);
    if (!unchanged) continue;
    rmSync(abs, { recursive: true, force: true });
    result.deleted.push(entry?.dirHash !== undefined ? `${path}/` : path);
  }
}

export function checkoutFailureError(failed: CheckoutFailure[]): SluiceError {
  const names = failed.map((f) => f.path).join(', ');
  return new SluiceError('MISSING_CACHE', `checkout failed for following targets: ${names}`, {
    hint: 'is your cache up to date? fetch the data with `sluice pull`, or re-add it',
  });
}
