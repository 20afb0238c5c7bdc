import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import {
  addTransferFlags,
  progressFor,
  reportFailures,
  transferOptions,
  warnMissing,
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
      const { SluiceError } = await import('../../core/errors.js');
      const { summarizeChanges } = await import('../render/statusText.js');
      const bar = progressFor(ctx, 'Pushing');
      const report = await repo
        .withLock(() =>
          push(repo, { ...transferOptions(ctx, targets, flags), progress: bar.progress }),
        )
        .finally(bar.finish);
      warnMissing(ctx, report.missing);
      reportFailures(ctx, report.failed);
      ctx.ui.out(summarizeChanges({ pushed: report.transferred }, 'Everything is up to date.'));
      const failed = report.failed.length + report.missing.length;
      if (failed > 0) {
        throw new SluiceError(
          'REMOTE',
          `failed to push data to the cloud - ${failed} file${failed > 1 ? 's' : ''} failed to upload`,
        );
      }
    },
  );
}
