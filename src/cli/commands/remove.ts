import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

export function registerRemove(program: Command): void {
  program
    .command('remove')
    .alias('rm')
    .description(
      'Stop tracking: delete .dvc files or dvc.yaml stages (the data stays unless --outs)',
    )
    .argument('<targets...>', '.dvc files or stages')
    .option('--outs', 'also delete the outputs from the workspace')
    .option('-f, --force', 'with --outs: delete files whose content is not in the cache too')
    .action(
      async (targets: string[], flags: { outs?: boolean; force?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        const { remove } = await import('../../core/9-ops/data/remove.js');
        const { unlessUnsavedKept } = await import('../prompt.js');
        await withRepoLock(repo, () =>
          unlessUnsavedKept(flags.force === true, (force) =>
            remove(repo, targets, { cwd: ctx.cwd, outs: flags.outs === true, force }),
          ),
        );
        await gitHint(ctx, repo, []);
      },
    );
}
