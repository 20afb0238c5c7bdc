import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { levelFromFlags, LEVEL_FLAGS, type LevelFlags } from './configLevels.js';

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('Manage the cache');
  const dir = cache
    .command('dir')
    .description('Show or set the cache folder (cache.dir)')
    .argument('[value]', 'new cache folder; relative paths are taken from the current folder')
    .option('-u, --unset', 'unset cache.dir')
    .action(
      async (
        value: string | undefined,
        flags: LevelFlags & { unset?: boolean },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        const level = levelFromFlags(flags);
        if (flags.unset === true) {
          await repo.config.unset(level ?? 'repo', 'cache', 'dir');
          return;
        }
        if (value === undefined) {
          ctx.ui.data(repo.cacheDir);
          return;
        }
        await repo.config.set(level ?? 'repo', 'cache', 'dir', value, { cwd: ctx.cwd });
      },
    );
  for (const [flag, description] of LEVEL_FLAGS) dir.option(flag, description);
}
