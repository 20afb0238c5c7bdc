import type { Repo } from '../../core/6-repo/repo.js';
import type { CommandContext } from '../context.js';
import { transferOptions, type TransferFlags } from './transferFlags.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface CloudFlags extends TransferFlags {
  json?: boolean;
}

/** `status -c` / `status -r NAME`: the cache compared with a remote. */
export async function runCloudStatus(
  ctx: CommandContext,
  repo: Repo,
  targets: string[],
  flags: CloudFlags,
): Promise<void> {
  const { cloudStatus } = await import('../../core/9-ops/remote/cloudStatus.js');
  const result = await withRepoLock(repo, () =>
    cloudStatus(repo, transferOptions(ctx, targets, flags)),
  );
  const changed = Object.keys(result.status).length > 0;
  if (ctx.global.quiet === true) {
    process.exitCode = changed ? 1 : 0;
    return;
  }
  if (flags.json === true) {
    // Python's json.dumps separators, as DVC prints it.
    const { pyJsonOut } = await import('../../core/9-ops/metrics/jsonOut.js');
    ctx.ui.data(pyJsonOut(result.status));
    return;
  }
  if (!changed) {
    ctx.ui.out(`Cache and remote '${result.remotes.join("', '")}' are in sync.`);
    return;
  }
  const { renderCloudStatus } = await import('../render/statusText.js');
  ctx.ui.out(renderCloudStatus(result.status));
}
