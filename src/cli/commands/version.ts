import type { Command } from 'commander';
import { contextOf } from '../context.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .alias('doctor')
    .description('Show the Sluice version and the environment it runs in')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = contextOf(command);
      const { findRoot } = await import('../../core/6-repo/repo.js');
      const { LINK_PROBE } = await import('./versionInfo.js');
      const root = findRoot(ctx.cwd);
      const lines = [
        `Sluice version: ${program.version() ?? 'unknown'}`,
        '---------------------------------',
        `Platform: Node.js ${process.version} on ${process.platform}-${process.arch}`,
        `Supports: ${LINK_PROBE}`,
        `Repo: ${root === undefined ? 'none' : `dvc, ${root}`}`,
      ];
      ctx.ui.out(lines.join('\n'));
    });
}
