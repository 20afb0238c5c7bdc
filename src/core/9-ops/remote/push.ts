import type { Repo } from '../../6-repo/repo.js';
import {
  collectUsedOutputs,
  type CollectOptions,
  type UsedOutput,
} from '../../8-revisions/objects.js';
import { openRemote } from '../../6-repo/remotes.js';
import { syncRunCache } from './runCacheSync.js';
import type { SpareCopies, SyncProgress, SyncResult } from './transfer.js';
import { pushObjects } from './upload.js';

export interface TransferOptions extends CollectOptions {
  remote?: string;
  jobs?: number;
  runCache?: boolean;
  progress?: SyncProgress;
  /** Downloads that also leave a copy for the checkout that follows (see `SyncOptions`). */
  spareCopies?: SpareCopies;
}

export interface TransferReport extends SyncResult {
  /** The remotes used, by name. */
  remotes: string[];
}

/** Groups outputs by the remote they go to: `-r`, else their own `remote:`, else the default. */
export function groupByRemote(
  outputs: UsedOutput[],
  explicit: string | undefined,
): Map<string | undefined, UsedOutput[]> {
  const groups = new Map<string | undefined, UsedOutput[]>();
  for (const out of outputs) {
    const name = explicit ?? out.remote;
    const list = groups.get(name) ?? [];
    list.push(out);
    groups.set(name, list);
  }
  if (groups.size === 0) groups.set(explicit, []);
  return groups;
}

export function mergeResults(into: SyncResult, from: SyncResult): void {
  into.transferred += from.transferred;
  into.missing.push(...from.missing);
  into.failed.push(...from.failed);
}

/** `sluice push`: upload the used objects the remote lacks. */
export async function push(repo: Repo, options: TransferOptions): Promise<TransferReport> {
  const outputs = await collectUsedOutputs(repo, { ...options, forPush: true });
  const report: TransferReport = { transferred: 0, missing: [], failed: [], remotes: [] };
  for (const [name, group] of groupByRemote(outputs, options.remote)) {
    const remote = await openRemote(repo.config, name, options.jobs);
    report.remotes.push(remote.name);
    try {
      const sync = {
        jobs: remote.jobs,
        ...(options.progress ? { progress: options.progress } : {}),
      };
      mergeResults(report, await pushObjects(repo, remote.storage, group, sync));
      if (options.runCache === true) {
        mergeResults(report, await syncRunCache(repo, remote.storage, 'push', sync));
      }
    } finally {
      await remote.storage.close();
    }
  }
  return report;
}
