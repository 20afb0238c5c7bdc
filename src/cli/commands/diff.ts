import type { Command } from 'commander';
import type { DataDiffItem } from '../../core/9-ops/metrics/dataDiff.js';
import type { DataDiff } from '../render/statusText.js';
import { contextOf, openRepo } from '../context.js';

interface DiffFlags {
  targets?: string[];
  json?: boolean;
  md?: boolean;
  showHash?: boolean;
  hideMissing?: boolean;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('Show tracked data added, modified or deleted between revisions')
    .argument('[a_rev]', 'old revision (default HEAD)')
    .argument('[b_rev]', 'new revision (default: the workspace)')
    .option('--targets <paths...>', 'only these tracked paths')
    .option('--json', 'print the result as JSON')
    .option('--md', 'print a Markdown table')
    .option('--show-hash', 'show the hash of each entry')
    .option('--hide-missing', 'leave out the "not in cache" group')
    .action(
      async (
        aRev: string | undefined,
        bRev: string | undefined,
        flags: DiffFlags,
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        if (repo.git === null) {
          const { SluiceError } = await import('../../core/1-base/errors.js');
          throw new SluiceError('SCM', 'diff needs a git repository', {
            hint: 'run `git init` and commit the project first',
          });
        }
        const { dataDiff } = await import('../../core/9-ops/metrics/dataDiff.js');
        const { relativeToCwd } = await import('../../core/9-ops/metrics/collectMetrics.js');
        const cwdRel = repo.rel(ctx.cwd);
        const raw = await dataDiff(repo, {
          ...(aRev === undefined ? {} : { aRev }),
          ...(bRev === undefined ? {} : { bRev }),
          targets: (flags.targets ?? []).map((t) => repo.rel(t, ctx.cwd)),
        });
        const showHash = flags.showHash === true;
        const hideMissing = bRev !== undefined || flags.hideMissing === true;
        const rel = (p: string): string =>
          relativeToCwd(p.replace(/\/$/, ''), cwdRel) + (p.endsWith('/') ? '/' : '');
        const out: Record<string, Array<Record<string, unknown>>> = {};
        for (const [state, entries] of Object.entries(raw) as Array<[string, DataDiffItem[]]>) {
          if (state === 'not in cache' && hideMissing) continue;
          const key = (e: { path: string | { old: string } }): string =>
            typeof e.path === 'string' ? e.path : e.path.old;
          out[state] = [...entries]
            .sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0))
            .map((e) => ({
              path:
                typeof e.path === 'string'
                  ? rel(e.path)
                  : { old: rel(e.path.old), new: rel(e.path.new) },
              ...(showHash ? { hash: e.hash } : {}),
            }));
        }
        if (flags.json === true) {
          const { pyJsonOut } = await import('../../core/9-ops/metrics/jsonOut.js');
          ctx.ui.data(pyJsonOut(out));
          return;
        }
        const text = await import('../render/statusText.js');
        const diff = {
          added: [],
          deleted: [],
          modified: [],
          renamed: [],
          'not in cache': [],
          ...out,
        } as unknown as DataDiff;
        if (flags.md === true) {
          process.stdout.write(text.renderDataDiffMarkdown(diff, { showHash, hideMissing }));
          return;
        }
        if (Object.keys(out).length === 0) return;
        const rendered = text.renderDataDiff(diff, { showHash, hideMissing });
        if (rendered !== '') ctx.ui.data(rendered);
      },
    );
}
