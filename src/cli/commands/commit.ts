import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

export function registerCommit(program: Command): void {
  program
    .command('commit')
    .description('Record changes of tracked files and stage outputs in the metafiles and the cache')
    .argument('[targets...]', '.dvc files or stages (default: everything)')
    .option('-f, --force', 'commit even if dependencies or outputs changed, without asking')
    .action(async (targets: string[], flags: { force?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { commit } = await import('../../core/9-ops/data/commit.js');
      const { fileProgress } = await import('../progress.js');
      const bar = fileProgress(repo, 'Committing', ctx.ui.isTTY);
      const { files } = await withRepoLock(repo, () =>
        commit(repo, targets, { cwd: ctx.cwd, force: flags.force === true }),
      ).finally(() => bar.finish());
      await gitHint(ctx, repo, files);
    });
}
