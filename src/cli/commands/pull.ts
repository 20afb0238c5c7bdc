import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import {
  addTransferFlags,
  progressFor,
  reportProblems,
  transferOptions,
  type TransferFlags,
} from './transferFlags.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface PullFlags extends TransferFlags {
  force?: boolean;
  allowMissing?: boolean;
}

export function registerPull(program: Command): void {
  const command = program
    .command('pull')
    .description('Download tracked data from remote storage and check it out')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)')
    .option('-f, --force', 'do not ask before replacing or removing files')
    .option('--allow-missing', 'ignore outputs missing from the cache and the remote');
  addTransferFlags(command, 'pull from').action(
    async (targets: string[], flags: PullFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const repo = await openRepo(ctx, cmd);
      const { pull } = await import('../../core/9-ops/remote/pull.js');
      const { checkoutFailureError } = await import('../../core/9-ops/data/checkout.js');
      const { renderCheckoutLines, summarizeChanges } = await import('../render/statusText.js');
      const bar = progressFor(ctx, 'Fetching');
      const { unlessUnsavedKept } = await import('../prompt.js');
      const result = await withRepoLock(repo, () =>
        unlessUnsavedKept(flags.force === true, (force) =>
          pull(repo, {
            ...transferOptions(ctx, targets, flags),
            progress: bar.progress,
            force,
            allowMissing: flags.allowMissing === true,
          }),
        ),
      ).finally(bar.finish);
      const { fetched, checkout, counts } = result;
      const problem = reportProblems(ctx, fetched, {
        action: 'pull',
        ignoreMissing: flags.allowMissing === true,
      });
      const lines = renderCheckoutLines(checkout);
      if (lines.length > 0) ctx.ui.out(lines);
      // Beside a failed download or checkout, nothing is up to date: only what changed is said.
      const failed = problem !== undefined || checkout.failed.length > 0;
      const summary = summarizeChanges(
        {
          fetched: fetched.transferred,
          modified: counts.modified,
          added: counts.added,
          deleted: counts.deleted,
        },
        failed ? '' : 'Everything is up to date.',
      );
      if (summary !== '') ctx.ui.out(summary);
      if (problem !== undefined) throw problem;
      if (checkout.failed.length > 0) throw checkoutFailureError(checkout.failed);
    },
  );
}
