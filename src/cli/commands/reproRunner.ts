import type { Repo } from '../../core/6-repo/repo.js';
import { repro, type ReproOptions } from '../../core/9-ops/pipeline/repro.js';
import { ReproStateFile } from '../../core/9-ops/pipeline/reproState.js';
import { gitHint, type CommandContext } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

/**
 * Runs `repro` with the CLI's printing: DVC's messages on stdout, a failing stage as one error
 * line, then (as DVC orders them) the git hint for the metafiles written (`written`: those the
 * caller wrote before) and the last line.
 */
export async function reproStages(
  ctx: CommandContext,
  repo: Repo,
  options: Omit<ReproOptions, 'cwd' | 'events'>,
  written: string[] = [],
): Promise<void> {
  const live = new ReproStateFile(repo);
  const result = await withRepoLock(repo, () =>
    repro(repo, {
      ...options,
      cwd: ctx.cwd,
      events: {
        message: (text) => ctx.ui.out(text),
        warning: (text) => ctx.ui.warn(text),
        stageState: (address, state) => live.update(address, state),
        commandLine: (address, stream, line) => {
          const text = `[${address}] ${line}\n`;
          if (stream === 'stderr') process.stderr.write(text);
          else process.stdout.write(text);
        },
      },
    }),
  );
  live.finish();
  const failure = result.failed[0];
  if (failure !== undefined) {
    for (const extra of result.failed.slice(1)) ctx.ui.error(extra.error);
    throw failure.error;
  }
  await gitHint(ctx, repo, [...new Set([...written, ...result.changedFiles])]);
  // As DVC, also after --dry: what would have been reproduced.
  ctx.ui.out(
    result.reproduced.length > 0
      ? 'Use `sluice push` to send your updates to remote storage.'
      : 'Data and pipelines are up to date.',
  );
}
