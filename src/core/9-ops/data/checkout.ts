import { statSync } from 'node:fs';
import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import type { Output } from '../../7-metafiles/stage.js';
import { isInside, StageIndex, stagesForTargets } from '../../7-metafiles/stageIndex.js';
import { hashPath } from '../../5-workspace/hashPath.js';
import {
  checkoutOutput,
  planCheckout,
  unsavedFilesError,
  type CheckoutFailure,
  type CheckoutPlan,
} from './outputState.js';

export interface CheckoutOptions {
  cwd: string;
  /** Overwrite and delete workspace files whose content is in no cache. */
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

/**
 * `sluice checkout`: make the workspace match the metafiles, from the cache. Every output is
 * looked at first: unless `force`, a checkout that would overwrite or delete a file whose content
 * is in no cache changes nothing and throws `UNSAVED`, listing them.
 */
export function checkout(repo: Repo, targets: string[], options: CheckoutOptions): CheckoutResult {
  const index = StageIndex.load(repo);
  const cwdRel = repo.rel(options.cwd);
  const stages = stagesForTargets(index, targets, cwdRel);
  const result: CheckoutResult = { modified: [], added: [], deleted: [], failed: [] };
  const planned: Array<{ out: Output; plan: CheckoutPlan }> = [];
  const unsaved: string[] = [];
  for (const stage of stages) {
    for (const out of stage.outs) {
      const plan = planCheckout(repo, out);
      planned.push({ out, plan });
      unsaved.push(...plan.unsaved);
    }
  }
  const force = options.force === true;
  if (!force && unsaved.length > 0) throw unsavedFilesError(repo, unsaved);
  for (const { out, plan } of planned) {
    const { change, failure } = checkoutOutput(
      repo,
      out,
      { force, relink: options.relink === true },
      plan,
    );
    if (failure !== undefined) {
      if (options.allowMissing !== true) result.failed.push(failure);
      continue;
    }
    if (change === undefined) continue;
    const shown = change.isDir ? `${change.path}/` : change.path;
    (change.change === 'added' ? result.added : result.modified).push(shown);
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
    repo.links.forget(path);
    // A record naming the repository, .git or .dvc (forged, or from a hostile metafile) is
    // dropped, never acted on.
    let abs: string;
    try {
      abs = repo.workspace.resolve(path);
    } catch (error) {
      if (error instanceof SluiceError && error.code === 'BAD_PATH') continue;
      throw error;
    }
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
    if (!unchanged) continue;
    repo.workspace.remove(path, { recursive: true });
    result.deleted.push(entry?.dirHash !== undefined ? `${path}/` : path);
  }
}

export function checkoutFailureError(failed: CheckoutFailure[]): SluiceError {
  const names = failed.map((f) => f.path).join(', ');
  return new SluiceError('MISSING_CACHE', `checkout failed for following targets: ${names}`, {
    hint: 'is your cache up to date? fetch the data with `sluice pull`, or re-add it',
  });
}
