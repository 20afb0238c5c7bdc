import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

export function registerMove(program: Command): void {
  program
    .command('move')
    .alias('mv')
    .description('Rename a tracked file or folder, with its .dvc file and .gitignore entry')
    .argument('<src>', 'tracked path')
    .argument('<dst>', 'new path')
    .action(async (src: string, dst: string, _flags: unknown, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { move } = await import('../../core/9-ops/data/move.js');
      const files = await withRepoLock(repo, () => move(repo, src, dst, ctx.cwd));
      await gitHint(ctx, repo, files);
    });
}
