import { addReclaimed } from '../2-fs/tempFiles.js';
import type { Repo } from '../6-repo/repo.js';
import { endTempRecord, startTempRecord, sweepDeadTemps, type SweepOptions } from './tempSweep.js';

export interface LockOptions {
  /** How far the sweep of dead commands' temporary files looks (see `SweepOptions`). */
  sweep?: SweepOptions['scope'];
}

/**
 * Runs `fn` holding the repo lock: every command that changes the workspace, the cache or a
 * remote runs inside it. First the temporary files of killed commands are removed (see
 * tempSweep.ts; `sweep` says how far to look), and while `fn` runs the folders this command
 * makes temporary files in are recorded, so that a sweep after a kill finds them. The hash
 * cache and link record are saved when `fn` succeeds.
 */
export async function withRepoLock<T>(
  repo: Repo,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  await repo.acquireLock();
  try {
    const reclaimed = sweepDeadTemps(repo, { scope: options.sweep ?? 'changed' });
    if (reclaimed.files > 0) repo.observer.onUnwitnessed('temporary files removed');
    addReclaimed(repo.reclaimed, reclaimed);
    startTempRecord(repo);
    const result = await fn();
    repo.saveState();
    return result;
  } finally {
    endTempRecord();
    repo.releaseLock();
  }
}
