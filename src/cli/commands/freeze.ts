import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

function registerOne(program: Command, name: 'freeze' | 'unfreeze'): void {
  program
    .command(name)
    .description(
      name === 'freeze'
        ? 'Freeze stages: repro and status no longer check their dependencies'
        : 'Unfreeze stages frozen with `sluice freeze`',
    )
    .argument('<targets...>', 'stages or .dvc files')
    .action(async (targets: string[], _flags: unknown, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { setFrozen } = await import('../../core/9-ops/pipeline/freeze.js');
      const files = await withRepoLock(repo, () =>
        setFrozen(repo, targets, ctx.cwd, name === 'freeze'),
      );
      await gitHint(ctx, repo, files);
    });
}

export function registerFreeze(program: Command): void {
  registerOne(program, 'freeze');
  registerOne(program, 'unfreeze');
}
