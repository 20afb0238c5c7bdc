import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

export function registerUnprotect(program: Command): void {
  program
    .command('unprotect')
    .description('Replace links to the cache with writable copies, so the files can be edited')
    .argument('<targets...>', 'tracked files or folders')
    .action(async (targets: string[], _flags: unknown, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { unprotectPath } = await import('../../core/9-ops/data/unprotect.js');
      await withRepoLock(repo, () => {
        for (const target of targets) unprotectPath(repo, repo.rel(target, ctx.cwd));
        return Promise.resolve();
      });
    });
}
