import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { printRevisionDiff, reportErrors } from './revisionDiffOutput.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface ShowFlags {
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  recursive?: boolean;
  json?: boolean;
  md?: boolean;
  csv?: boolean;
  precision?: string;
  all?: boolean;
}

interface DiffFlags {
  targets?: string[];
  recursive?: boolean;
  all?: boolean;
  json?: boolean;
  md?: boolean;
  precision?: string;
  path?: boolean;
}

function precisionOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function registerMetrics(program: Command): void {
  const metrics = program
    .command('metrics')
    .description('Show, compare and configure metrics across git revisions');

  metrics
    .command('show')
    .description('Print the metrics of the workspace (or of branches, tags, commits)')
    .argument('[targets...]', 'metrics files (or folders holding them) to show')
    .option('-a, --all-branches', 'show metrics for all branches')
    .option('-T, --all-tags', 'show metrics for all tags')
    .option('-A, --all-commits', 'show metrics for all commits')
    .option('-R, --recursive', 'targets may be folders: show the metrics files inside')
    .option('--json', 'print the result as JSON')
    .option('--md', 'print the table in Markdown')
    .option('--csv', 'print the table as CSV')
    .option('--precision <n>', 'round floats to this many decimals (default 5)')
    .option('--all', 'keep the workspace even when it equals the current branch')
    .action(async (targets: string[], flags: ShowFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const core = await import('../../core/9-ops/metrics/collectMetrics.js');
      const { metricsShowTable } = await import('../../core/9-ops/metrics/compare.js');
      const cwdRel = repo.rel(ctx.cwd);
      const result = await core.showMetrics(repo, {
        targets: targets.map((t) => repo.rel(t, ctx.cwd)),
        allBranches: flags.allBranches === true,
        allTags: flags.allTags === true,
        allCommits: flags.allCommits === true,
        keepWorkspace: flags.all === true,
      });
      for (const [, r] of result) {
        if (r.data === undefined) continue;
        r.data = Object.fromEntries(
          Object.entries(r.data).map(([p, f]) => [core.relativeToCwd(p, cwdRel), f]),
        );
      }
      reportErrors(ctx, core.erroredRevisions(result), core.errorLines(result));
      if (flags.json === true) {
        const { pyJsonOut } = await import('../../core/9-ops/metrics/jsonOut.js');
        ctx.ui.data(pyJsonOut(Object.fromEntries(result)));
        return;
      }
      const showRevision =
        flags.allBranches === true || flags.allTags === true || flags.allCommits === true;
      const precision = precisionOf(flags.precision);
      const [header, ...rows] = metricsShowTable(core.toRevisionMetrics(result), {
        showRevision,
        ...(precision === undefined ? {} : { precision }),
      });
      const table = await import('../render/table.js');
      if (rows.length === 0) return;
      if (flags.csv === true) {
        process.stdout.write(table.formatCsv(header ?? [], rows));
        return;
      }
      process.stdout.write(table.renderTable(header ?? [], rows, { markdown: flags.md === true }));
    });

  metrics
    .command('diff')
    .description('Compare metrics between two revisions (default: HEAD and the workspace)')
    .argument('[a_rev]', 'old revision (default HEAD)')
    .argument('[b_rev]', 'new revision (default: the workspace)')
    .option('--targets <paths...>', 'only these metrics files')
    .option('-R, --recursive', 'targets may be folders')
    .option('--all', 'show unchanged metrics too')
    .option('--json', 'print the result as JSON')
    .option('--md', 'print the table in Markdown')
    .option('--no-path', 'leave out the Path column')
    .option('--precision <n>', 'round floats to this many decimals (default 5)')
    .action(
      async (
        aRev: string | undefined,
        bRev: string | undefined,
        flags: DiffFlags,
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        const core = await import('../../core/9-ops/metrics/collectMetrics.js');
        const { metricsDiffTable } = await import('../../core/9-ops/metrics/compare.js');
        const result = await core.diffMetrics(repo, {
          targets: (flags.targets ?? []).map((t) => repo.rel(t, ctx.cwd)),
          ...(aRev === undefined ? {} : { aRev }),
          ...(bRev === undefined ? {} : { bRev }),
          all: flags.all === true,
        });
        const precision = precisionOf(flags.precision);
        await printRevisionDiff(ctx, repo, result, flags, (diff) =>
          metricsDiffTable(diff, {
            ...(aRev === undefined ? {} : { aRev }),
            ...(bRev === undefined ? {} : { bRev }),
            noPath: flags.path === false,
            ...(precision === undefined ? {} : { precision }),
          }),
        );
      },
    );

  metrics
    .command('modify')
    .description('Set the type and xpath of a metric of a single-stage file (DVC 0.x)')
    .argument('<path>', 'the metrics file')
    .option('-t, --type <type>', 'raw, json, csv, tsv, hcsv or htsv')
    .option('-x, --xpath <xpath>', 'the value to show: a JSON path, or row,column for tables')
    .action(async (path: string, flags: { type?: string; xpath?: string }, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { modifyMetric } = await import('../../core/9-ops/metrics/metricsModify.js');
      const file = await withRepoLock(repo, () =>
        modifyMetric(repo, path, ctx.cwd, {
          ...(flags.type === undefined ? {} : { type: flags.type }),
          ...(flags.xpath === undefined ? {} : { xpath: flags.xpath }),
        }),
      );
      await gitHint(ctx, repo, [file]);
    });
}
