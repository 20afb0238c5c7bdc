import type { Command } from 'commander';
import { relative } from 'node:path';
import { contextOf, openRepo } from '../context.js';

export function registerRoot(program: Command): void {
  program
    .command('root')
    .description('Show the path of the repository root, relative to the current folder')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      ctx.ui.data(relative(ctx.cwd, repo.root) || '.');
    });
}
