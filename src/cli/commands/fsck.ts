import type { Command } from 'commander';
import type { FsckKind, FsckProblem, FsckReport } from '../../core/9-ops/data/fsck.js';
import { contextOf, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface FsckFlags {
  remote?: string;
  cloud?: boolean;
  repair?: boolean;
  json?: boolean;
  jobs?: string;
}

export function registerFsck(program: Command): void {
  program
    .command('fsck')
    .description('Check that cache (and remote) objects hash to their names; repair bad ones')
    .option('-c, --cloud', 'also check the default remote')
    .option('-r, --remote <name>', 'also check this remote (every object is read)')
    .option('--repair', 'replace bad objects by verified copies, remove leftover temporary files')
    .option('-j, --jobs <n>', 'number of objects checked at once')
    .option('--json', 'show the problems as JSON')
    .action(async (flags: FsckFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { fsck } = await import('../../core/9-ops/data/fsck.js');
      const jobs = Number(flags.jobs);
      const remote = flags.remote ?? (flags.cloud === true ? '' : undefined);
      const run = (): Promise<FsckReport> =>
        fsck(repo, {
          cwd: ctx.cwd,
          repair: flags.repair === true,
          ...(remote === undefined ? {} : { remote }),
          ...(Number.isInteger(jobs) && jobs > 0 ? { jobs } : {}),
        });
      // Only a repair writes: a check may run beside other commands.
      const report = flags.repair === true ? await withRepoLock(repo, run) : await run();
      const unresolved = report.problems.filter((p) => p.repaired === undefined);
      if (unresolved.length > 0) process.exitCode = 1;
      if (flags.json === true) {
        ctx.ui.data(JSON.stringify(report, null, 2));
        return;
      }
      const lines = report.problems.map(describeProblem);
      lines.push(summary(report));
      ctx.ui.data(lines.join('\n'));
    });
}

const LABELS: Record<FsckKind, string> = {
  corrupted: 'corrupted',
  truncated: 'truncated',
  'bad-listing': 'bad listing',
  temporary: 'temporary file',
};

function describeProblem(problem: FsckProblem): string {
  const label = LABELS[problem.kind];
  const object =
    problem.where === 'remote'
      ? `${label} on remote '${problem.remote ?? ''}': ${problem.path}`
      : problem.oid !== undefined && problem.name === 'md5'
        ? `${label}: ${problem.oid.slice(0, 2)}/${problem.oid.slice(2)}`
        : `${label}: ${problem.path}`;
  const files = problem.files.length === 0 ? '' : ` (${problem.files.join(', ')})`;
  const detail =
    problem.detail === undefined || problem.kind === 'temporary' ? '' : `: ${problem.detail}`;
  const outcome =
    problem.repaired !== undefined
      ? ` - ${problem.repaired}`
      : problem.notRepaired !== undefined
        ? ` - not repaired: ${problem.notRepaired}`
        : '';
  return `${object}${files}${detail}${outcome}`;
}

function summary(report: FsckReport): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  let checked = `${plural(report.checked, 'object')} checked in the cache`;
  if (report.remote !== undefined) {
    checked += ` and ${report.remoteChecked ?? 0} on remote '${report.remote}'`;
  }
  const total = report.problems.length;
  if (total === 0) return `${checked}: no problems found.`;
  const repaired = report.problems.filter((p) => p.repaired !== undefined).length;
  const fixed = repaired === 0 ? '' : `, ${repaired} repaired`;
  const attempted = report.problems.some((p) => p.repaired ?? p.notRepaired);
  const hint = attempted ? '' : ' Run `sluice fsck --repair` to repair them.';
  return `${checked}: ${plural(total, 'problem')} found${fixed}.${hint}`;
}
