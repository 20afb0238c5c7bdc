import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface AddFlags {
  commit: boolean;
  glob?: boolean;
  out?: string;
}

export function registerAdd(program: Command): void {
  program
    .command('add')
    .description('Track data files or folders in the cache, with a .dvc file beside each')
    .argument('<targets...>', 'files or folders to track')
    .option('--no-commit', "record hashes but don't put the data into the cache")
    .option('--glob', 'expand shell-style wildcards in the targets')
    .option('-o, --out <path>', 'copy the target to this path in the repository and track it there')
    .action(async (targets: string[], flags: AddFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { add } = await import('../../core/9-ops/data/add.js');
      let expanded = targets;
      if (flags.glob === true) {
        const { glob } = await import('tinyglobby');
        expanded = await glob(targets, {
          cwd: ctx.cwd,
          onlyFiles: false,
          dot: false,
          expandDirectories: false,
        });
        if (expanded.length === 0) {
          const { SluiceError } = await import('../../core/1-base/errors.js');
          throw new SluiceError('NOT_FOUND', `no files match ${targets.join(', ')}`);
        }
      }
      const { fileProgress } = await import('../progress.js');
      const bar = fileProgress(repo, 'Adding', ctx.ui.isTTY);
      const result = await withRepoLock(repo, () =>
        add(repo, expanded, {
          cwd: ctx.cwd,
          noCommit: !flags.commit,
          ...(flags.out === undefined ? {} : { out: flags.out }),
        }),
      ).finally(() => bar.finish());
      await gitHint(ctx, repo, result.gitFiles);
    });
}
