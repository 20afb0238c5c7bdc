import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { printRevisionDiff } from './revisionDiffOutput.js';

interface ParamsDiffFlags {
  targets?: string[];
  all?: boolean;
  deps?: boolean;
  json?: boolean;
  md?: boolean;
  path?: boolean;
}

export function registerParams(program: Command): void {
  const params = program.command('params').description('Compare parameters across git revisions');
  params
    .command('diff')
    .description('Show changed params between two revisions (default: HEAD and the workspace)')
    .argument('[a_rev]', 'old revision (default HEAD)')
    .argument('[b_rev]', 'new revision (default: the workspace)')
    .option('--targets <paths...>', 'only these params files')
    .option('--all', 'show unchanged params too')
    .option('--deps', 'only params that stages depend on')
    .option('--json', 'print the result as JSON')
    .option('--md', 'print the table in Markdown')
    .option('--no-path', 'leave out the Path column')
    .action(
      async (
        aRev: string | undefined,
        bRev: string | undefined,
        flags: ParamsDiffFlags,
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        const core = await import('../../core/9-ops/metrics/collectMetrics.js');
        const { paramsDiffTable } = await import('../../core/9-ops/metrics/compare.js');
        const result = await core.diffParams(repo, {
          targets: (flags.targets ?? []).map((t) => repo.rel(t, ctx.cwd)),
          ...(aRev === undefined ? {} : { aRev }),
          ...(bRev === undefined ? {} : { bRev }),
          all: flags.all === true,
          depsOnly: flags.deps === true,
        });
        await printRevisionDiff(ctx, repo, result, flags, (diff) =>
          paramsDiffTable(diff, {
            ...(aRev === undefined ? {} : { aRev }),
            ...(bRev === undefined ? {} : { bRev }),
            noPath: flags.path === false,
          }),
        );
      },
    );
}
