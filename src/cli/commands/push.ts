import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import {
  addTransferFlags,
  progressFor,
  reportProblems,
  transferOptions,
  type TransferFlags,
} from './transferFlags.js';

export function registerPush(program: Command): void {
  const command = program
    .command('push')
    .description('Upload tracked data to remote storage')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)');
  addTransferFlags(command, 'push to').action(
    async (targets: string[], flags: TransferFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const repo = await openRepo(ctx, cmd);
      const { push } = await import('../../core/ops/push.js');
      const { summarizeChanges } = await import('../render/statusText.js');
      const bar = progressFor(ctx, 'Pushing');
      const report = await repo
        .withLock(() =>
          push(repo, { ...transferOptions(ctx, targets, flags), progress: bar.progress }),
        )
        .finally(bar.finish);
      const problem = reportProblems(ctx, report, { action: 'push' });
      ctx.ui.out(summarizeChanges({ pushed: report.transferred }, 'Everything is up to date.'));
      if (problem !== undefined) throw problem;
    },
  );
}
