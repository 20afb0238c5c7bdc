import type { Command } from 'commander';
import { resolve } from 'node:path';
import { contextOf } from '../context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('Initialize a Sluice/DVC repository in the current (or given) folder')
    .argument('[directory]', 'folder to initialize', '.')
    .option('--no-scm', 'initialize without git (no .gitignore handling)')
    .option('-f, --force', 'overwrite an existing .dvc folder')
    .option('--subdir', 'initialize inside a subfolder of a git repository')
    .action(
      async (
        directory: string,
        opts: { scm: boolean; force?: boolean; subdir?: boolean },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const { init } = await import('../../core/9-ops/data/init.js');
        await init(resolve(ctx.cwd, directory), {
          noScm: !opts.scm,
          force: opts.force === true,
          subdir: opts.subdir === true,
        });
        ctx.ui.out('Initialized DVC repository.');
        if (opts.scm) ctx.ui.out('\nYou can now commit the changes to git.');
      },
    );
}
