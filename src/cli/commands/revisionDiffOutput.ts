import type { Repo } from '../../core/6-repo/repo.js';
import type { CommandContext } from '../context.js';

/** Says which revisions failed to load, and why, on stderr (results stay on stdout). */
export function reportErrors(ctx: CommandContext, errored: string[], lines: string[]): void {
  if (errored.length === 0) return;
  ctx.ui.info(
    `Failed to load some metrics for following revisions: '${errored.map((r) => r || 'workspace').join(', ')}'.`,
  );
  for (const line of lines) ctx.ui.info(`  ${line}`);
}

/**
 * The end of `metrics diff` and `params diff`: load errors on stderr, then the diff with paths
 * relative to the working folder, as JSON or as the table `toTable` makes of it.
 */
export async function printRevisionDiff<D>(
  ctx: CommandContext,
  repo: Repo,
  result: { diff: Record<string, D>; errored: string[]; errors: string[] },
  flags: { json?: boolean; md?: boolean },
  toTable: (diff: Record<string, D>) => string[][],
): Promise<void> {
  reportErrors(ctx, result.errored, result.errors);
  const { relativeToCwd } = await import('../../core/9-ops/metrics/collectMetrics.js');
  const cwdRel = repo.rel(ctx.cwd);
  const diff = Object.fromEntries(
    Object.entries(result.diff).map(([p, d]) => [relativeToCwd(p, cwdRel), d]),
  );
  if (flags.json === true) {
    const { pyJsonOut } = await import('../../core/9-ops/metrics/jsonOut.js');
    ctx.ui.data(pyJsonOut(diff));
    return;
  }
  const [header, ...rows] = toTable(diff);
  const { renderTable } = await import('../render/table.js');
  process.stdout.write(renderTable(header ?? [], rows, { markdown: flags.md === true }));
}
