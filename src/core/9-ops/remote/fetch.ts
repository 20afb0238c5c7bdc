import type { Repo } from '../../6-repo/repo.js';
import { collectUsedOutputs, type UsedOutput } from '../../8-revisions/objects.js';
import { openRemote } from '../../6-repo/remotes.js';
import { fetchObjects } from './download.js';
import { syncRunCache } from './runCacheSync.js';
import { groupByRemote, mergeResults, type TransferOptions, type TransferReport } from './push.js';

/** `sluice fetch`: download the used objects the cache lacks (hash-verified). */
export async function fetch(repo: Repo, options: TransferOptions): Promise<TransferReport> {
  const outputs = await collectUsedOutputs(repo, options);
  const report: TransferReport = { transferred: 0, missing: [], failed: [], remotes: [] };
  // Repo imports come from their own repository, as DVC fetches them.
  const { fetchRepoImports } = await import('../imports/importRepo.js');
  const imports = await fetchRepoImports(repo, options);
  report.transferred += imports.transferred;
  for (const f of imports.failed) report.failed.push({ path: f.path, oid: '', reason: f.reason });
  // A project whose only data is imported needs no remote of its own.
  const onlyImports = outputs.length === 0 && imports.stages > 0 && options.runCache !== true;
  const groups = onlyImports
    ? new Map<string | undefined, UsedOutput[]>()
    : groupByRemote(outputs, options.remote);
  for (const [name, group] of groups) {
    const remote = await openRemote(repo.config, name, options.jobs);
    report.remotes.push(remote.name);
    try {
      const sync = {
        jobs: remote.jobs,
        ...(options.progress ? { progress: options.progress } : {}),
        ...(options.spareCopies ? { spareCopies: options.spareCopies } : {}),
      };
      if (options.runCache === true) {
        mergeResults(report, await syncRunCache(repo, remote.storage, 'fetch', sync));
      }
      mergeResults(report, await fetchObjects(repo, remote.storage, group, sync));
    } finally {
      await remote.storage.close();
    }
  }
  repo.hashCache.clearDirComplete();
  return report;
}
