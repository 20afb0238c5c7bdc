import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import {
  addTransferFlags,
  progressFor,
  reportProblems,
  transferOptions,
  type TransferFlags,
} from './transferFlags.js';

export function registerFetch(program: Command): void {
  const command = program
    .command('fetch')
    .description('Download tracked data from remote storage into the cache')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)');
  addTransferFlags(command, 'fetch from').action(
    async (targets: string[], flags: TransferFlags, cmd: Command) => {
      const ctx = contextOf(cmd);
      const repo = await openRepo(ctx, cmd);
      const { fetch } = await import('../../core/ops/fetch.js');
      const { summarizeChanges } = await import('../render/statusText.js');
      const bar = progressFor(ctx, 'Fetching');
      const report = await repo
        .withLock(() =>
          fetch(repo, { ...transferOptions(ctx, targets, flags), progress: bar.progress }),
        )
        .finally(bar.finish);
      const problem = reportProblems(ctx, report, { action: 'fetch' });
      ctx.ui.out(summarizeChanges({ fetched: report.transferred }, 'Everything is up to date.'));
      if (problem !== undefined) throw problem;
    },
  );
}
