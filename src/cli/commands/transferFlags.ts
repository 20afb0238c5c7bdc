import type { Command } from 'commander';
import { SluiceError } from '../../core/1-base/errors.js';
import type { TransferOptions, TransferReport } from '../../core/9-ops/remote/push.js';
import type { Repo } from '../../core/6-repo/repo.js';
import type { ObjectProblem } from '../../core/9-ops/remote/transfer.js';
import { contextOf, openRepo, type CommandContext } from '../context.js';
import { ProgressBar } from '../progress.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

export interface TransferFlags {
  remote?: string;
  jobs?: string;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  runCache?: boolean;
}

/** The flags push, fetch, pull and `status -c` share. */
export function addTransferFlags(command: Command, verb: string): Command {
  return command
    .option('-r, --remote <name>', `remote to ${verb} (default: core.remote)`)
    .option('-j, --jobs <n>', 'number of parallel transfers (default: 4 x cpu cores)')
    .option('-a, --all-branches', 'include the data of the tips of all branches')
    .option('-T, --all-tags', 'include the data of all tags')
    .option('-A, --all-commits', 'include the data of every commit')
    .option('--run-cache', 'also transfer the run cache (.dvc/cache/runs)');
}

/** A progress reporter that draws a files+bytes bar once the total is known (TTY only). */
export function progressFor(
  ctx: CommandContext,
  label: string,
): { progress: NonNullable<TransferOptions['progress']>; finish: () => void } {
  let bar: ProgressBar | undefined;
  return {
    progress: {
      total: (files) => {
        bar?.finish();
        bar = new ProgressBar(label, files, ctx.ui.isTTY);
      },
      tick: (files, bytes) => bar?.tick(files, bytes),
    },
    finish: () => bar?.finish(),
  };
}

export function transferOptions(
  ctx: CommandContext,
  targets: string[],
  flags: TransferFlags,
): Omit<TransferOptions, 'progress'> {
  const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
  return {
    targets,
    cwd: ctx.cwd,
    ...(flags.remote === undefined ? {} : { remote: flags.remote }),
    ...(jobs === undefined || !Number.isInteger(jobs) || jobs < 1 ? {} : { jobs }),
    allBranches: flags.allBranches === true,
    allTags: flags.allTags === true,
    allCommits: flags.allCommits === true,
    runCache: flags.runCache === true,
  };
}

/** DVC's warning for objects found neither in the cache nor on the remote. */
export function warnMissing(ctx: CommandContext, missing: ObjectProblem[]): void {
  if (missing.length === 0) return;
  const lines = missing.map((m) => `name: ${m.path}, md5: ${m.oid}`);
  ctx.ui.warn(
    `Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n${lines.join('\n')}`,
  );
}

export function reportFailures(ctx: CommandContext, failed: ObjectProblem[]): void {
  for (const f of failed) {
    if (f.corrupted === true) {
      const name = `${f.oid.slice(0, 2)}/${f.oid.slice(2)}`;
      ctx.ui.info(`ERROR: cache object '${name}' for '${f.path}' is corrupted; it was not pushed`);
    } else {
      ctx.ui.info(`ERROR: '${f.path}' (${f.oid}): ${f.reason}`);
    }
  }
}

const REPAIR_HINT =
  'add the files again (sluice add / sluice commit) or run `sluice fsck --repair`, then push again';

/** A full disk fails every remaining object the same way: one line says it all. */
const NO_SPACE = /^no space left on device/i;

/**
 * The end of push, fetch and pull: DVC's warning for missing objects, one line per failed
 * object, then an error with the count when any object did not move. Objects that failed for
 * lack of space are not listed one by one: the error says so once.
 */
export function reportProblems(
  ctx: CommandContext,
  report: { missing: ObjectProblem[]; failed: ObjectProblem[] },
  what: { action: 'push' | 'fetch' | 'pull'; ignoreMissing?: boolean },
): SluiceError | undefined {
  if (what.ignoreMissing !== true) warnMissing(ctx, report.missing);
  const noSpace = report.failed.filter((f) => NO_SPACE.test(f.reason));
  reportFailures(
    ctx,
    report.failed.filter((f) => !NO_SPACE.test(f.reason)),
  );
  const failed = report.failed.length + (what.ignoreMissing === true ? 0 : report.missing.length);
  if (failed === 0) return undefined;
  const files = `${failed} file${failed > 1 ? 's' : ''}`;
  const cause = noSpace.length === 0 ? '' : ': no space left on device';
  const corrupted = report.failed.some((f) => f.corrupted === true);
  const options =
    noSpace.length === 0
      ? corrupted
        ? { hint: REPAIR_HINT }
        : {}
      : {
          hint:
            what.action === 'push'
              ? 'free some space on the remote and run the command again'
              : 'free some space and run the command again',
        };
  return what.action === 'push'
    ? new SluiceError(
        'REMOTE',
        `failed to push data to the cloud - ${files} failed to upload${cause}`,
        options,
      )
    : new SluiceError(
        'REMOTE',
        `failed to ${what.action} data from the cloud - ${files} failed to download${cause}`,
        options,
      );
}

/**
 * The whole of `push` and `fetch`: the transfer under the repo lock with a progress bar, its
 * problems, then DVC's summary line ("5 files pushed", "Everything is up to date.").
 */
export async function runTransfer(
  cmd: Command,
  targets: string[],
  flags: TransferFlags,
  how: {
    action: 'push' | 'fetch';
    label: string;
    counted: 'pushed' | 'fetched';
    transfer: () => Promise<(repo: Repo, options: TransferOptions) => Promise<TransferReport>>;
  },
): Promise<void> {
  const ctx = contextOf(cmd);
  const repo = await openRepo(ctx, cmd);
  const transfer = await how.transfer();
  const { summarizeChanges } = await import('../render/statusText.js');
  const bar = progressFor(ctx, how.label);
  const report = await withRepoLock(repo, () =>
    transfer(repo, { ...transferOptions(ctx, targets, flags), progress: bar.progress }),
  ).finally(bar.finish);
  const problem = reportProblems(ctx, report, { action: how.action });
  // Beside a failure, nothing is up to date: only what did move is counted.
  const summary = summarizeChanges(
    { [how.counted]: report.transferred },
    problem === undefined ? 'Everything is up to date.' : '',
  );
  if (summary !== '') ctx.ui.out(summary);
  if (problem !== undefined) throw problem;
}
