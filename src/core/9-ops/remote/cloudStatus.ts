import type { Repo } from '../../6-repo/repo.js';
import { collectUsedOutputs } from '../../8-revisions/objects.js';
import { openRemote } from '../../6-repo/remotes.js';
import { compareWithRemote, type CloudState } from './compareWithRemote.js';
import { groupByRemote, type TransferOptions } from './push.js';

/** `sluice status -c`: which objects differ between the cache and the remote(s). */
export async function cloudStatus(
  repo: Repo,
  options: TransferOptions,
): Promise<{ status: Record<string, CloudState>; remotes: string[] }> {
  const outputs = await collectUsedOutputs(repo, options);
  const status: Record<string, CloudState> = {};
  const remotes: string[] = [];
  for (const [name, group] of groupByRemote(outputs, options.remote)) {
    const remote = await openRemote(repo.config, name, options.jobs);
    remotes.push(remote.name);
    try {
      Object.assign(status, await compareWithRemote(repo, remote.storage, group, remote.jobs));
    } finally {
      await remote.storage.close();
    }
  }
  return { status, remotes };
}
