import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
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
  const dir = resolve(ctx.cwd, flags.out ?? 'dvc_plots');
  // Images are copied beside the page (or for the JSON's URLs), named as DVC names them.
  const imageFiles = new Map<string, string>();
  const withImages = plots.filter((p) => p.kind === 'image' && p.images.length > 0);
  if (withImages.length > 0) {
    const { writeFileAtomic } = await import('../../core/2-fs/atomicWrite.js');
    mkdirSync(dir, { recursive: true });
    for (const plot of withImages) {
      for (const image of plot.images) {
        const file = join(dir, `${image.rev}_${plot.id.split('/').join('_')}`);
        await writeFileAtomic(file, image.content);
        imageFiles.set(`${image.rev}\0${plot.id}`, file);
      }
    }
  }
  if (flags.json === true) {
    const errors = plots.flatMap((p) =>
      p.errors.map((e) => ({
        name: p.id,
        rev: e.rev,
        source: e.file,
        type: e.error.type,
        msg: e.error.msg,
      })),
    );
    const data = Object.fromEntries(
      plots.map((p) => [
        p.id,
        p.kind === 'image'
          ? p.images.map((image) => ({
              type: 'image',
              revisions: [image.rev],
              url: imageFiles.get(`${image.rev}\0${p.id}`),
            }))
          : p.revisions.length === 0
            ? []
            : [{ type: 'vega', revisions: p.revisions, content: p.spec }],
      ]),
    );
    // As DVC: empty parts are left out, so a repository without plots prints {}.
    ctx.ui.data(
      JSON.stringify({
        ...(errors.length > 0 ? { errors } : {}),
        ...(Object.keys(data).length > 0 ? { data } : {}),
      }),
    );
    return;
  }
  for (const p of plots) {
    for (const e of p.errors) ctx.ui.warn(`${p.id}: ${e.rev}: ${e.error.msg}`);
  }
  const drawn = plots.filter((p) => p.kind === 'vega' && p.revisions.length > 0);
  if (drawn.length === 0 && imageFiles.size === 0) {
    ctx.ui.warn('No plots were loaded, visualization file will not be created.');
    return;
  }
  const { renderPlotsHtml } = await import('../../core/9-ops/metrics/plotsHtml.js');
  const { writeFileAtomic } = await import('../../core/2-fs/atomicWrite.js');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.html');
  const images = plots.flatMap((p) =>
    p.images.map((image) => ({
      id: `${image.rev}: ${p.id}`,
      src: basename(imageFiles.get(`${image.rev}\0${p.id}`) ?? ''),
    })),
  );
  await writeFileAtomic(file, renderPlotsHtml(drawn, images));
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
      // As DVC: nothing to compare before the first commit.
      if (repo.git === null || !(await repo.git.hasCommits())) {
        if (flags.json === true) ctx.ui.data('{}');
        else ctx.ui.warn('No plots were loaded, visualization file will not be created.');
        return;
      }
      // As DVC: one revision is compared with the workspace; none, HEAD with the workspace
      // when tracked files changed, else the workspace alone.
      const dirty = revs.length === 0 && (await repo.git?.isDirty({ untrackedFiles: false }));
      const list =
        revs.length === 0
          ? dirty === true
            ? ['HEAD', 'workspace']
            : ['workspace']
          : revs.length === 1
            ? [...revs, 'workspace']
            : revs;
      await renderPlots(ctx, repo, list, flags.targets ?? [], flags);
    });
}
