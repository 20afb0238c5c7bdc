import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { contextOf, openRepo, type CommandContext } from '../context.js';
import type { Repo } from '../../core/6-repo/repo.js';

interface PlotsFlags {
  out?: string;
  json?: boolean;
  targets?: string[];
}

async function renderPlots(
  ctx: CommandContext,
  repo: Repo,
  revs: string[],
  targets: string[],
  flags: PlotsFlags,
): Promise<void> {
  const { buildPlots } = await import('../../core/9-ops/metrics/plots.js');
  const plots = await buildPlots(repo, {
    revs,
    targets: targets.map((t) => repo.rel(t, ctx.cwd)),
  });
  for (const p of plots) {
    for (const e of p.errors) ctx.ui.warn(`${p.id}: ${e.rev}: ${e.error.msg}`);
  }
  if (flags.json === true) {
    ctx.ui.data(
      JSON.stringify(
        Object.fromEntries(
          plots.map((p) => [
            p.id,
            [{ type: 'vega', revisions: revs.length > 0 ? revs : ['workspace'], content: p.spec }],
          ]),
        ),
      ),
    );
    return;
  }
  const { renderPlotsHtml } = await import('../../core/9-ops/metrics/plotsHtml.js');
  const { writeFileAtomic } = await import('../../core/2-fs/atomicWrite.js');
  const dir = resolve(ctx.cwd, flags.out ?? 'dvc_plots');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.html');
  await writeFileAtomic(file, renderPlotsHtml(plots));
  ctx.ui.data(`file://${file}`);
}

export function registerPlots(program: Command): void {
  const plots = program.command('plots').description('Draw plots of metrics files as HTML');
  plots
    .command('show')
    .description('Draw the plots of the workspace into an HTML page that opens offline')
    .argument('[targets...]', 'plot ids or data files (default: every plot in dvc.yaml)')
    .option('-o, --out <dir>', 'folder for index.html (default dvc_plots)')
    .option('--json', 'print the Vega-Lite specs as JSON instead')
    .action(async (targets: string[], flags: PlotsFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      await renderPlots(ctx, repo, [], targets, flags);
    });
  plots
    .command('diff')
    .description('Draw plots of several revisions together (default: HEAD and the workspace)')
    .argument('[revs...]', 'git revisions to compare (`workspace` for the workspace)')
    .option('--targets <paths...>', 'plot ids or data files')
    .option('-o, --out <dir>', 'folder for index.html (default dvc_plots)')
    .option('--json', 'print the Vega-Lite specs as JSON instead')
    .action(async (revs: string[], flags: PlotsFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const list =
        revs.length === 0
          ? ['HEAD', 'workspace']
          : revs.length === 1
            ? [...revs, 'workspace']
            : revs;
      await renderPlots(ctx, repo, list, flags.targets ?? [], flags);
    });
}
