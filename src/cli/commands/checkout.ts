import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface CheckoutFlags {
  force?: boolean;
  relink?: boolean;
  summary?: boolean;
  allowMissing?: boolean;
}

export function registerCheckout(program: Command): void {
  program
    .command('checkout')
    .alias('co')
    .description('Make workspace files match the .dvc files and dvc.lock, from the cache')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)')
    .option('-f, --force', 'do not ask before replacing or removing files')
    .option('--relink', 'recreate links or copies from the cache even if unchanged')
    .option('--summary', 'show a summary instead of one line per change')
    .option('--allow-missing', 'ignore outputs that are not in the cache')
    .action(async (targets: string[], flags: CheckoutFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { checkout, checkoutFailureError } = await import('../../core/9-ops/data/checkout.js');
      const { renderCheckoutLines, summarizeChanges } = await import('../render/statusText.js');
      const { fileProgress } = await import('../progress.js');
      const bar = fileProgress(repo, 'Checking out', ctx.ui.isTTY);
      const { unlessUnsavedKept } = await import('../prompt.js');
      const result = await withRepoLock(repo, () =>
        unlessUnsavedKept(flags.force === true, (force) =>
          Promise.resolve(
            checkout(repo, targets, {
              cwd: ctx.cwd,
              force,
              relink: flags.relink === true,
              allowMissing: flags.allowMissing === true,
            }),
          ),
        ),
      ).finally(() => bar.finish());
      if (flags.summary === true) {
        ctx.ui.out(
          summarizeChanges({
            modified: result.modified.length,
            added: result.added.length,
            deleted: result.deleted.length,
          }),
        );
      } else {
        const lines = renderCheckoutLines(result);
        if (lines.length > 0) ctx.ui.out(lines);
      }
      if (flags.relink === true) ctx.ui.out('Relinked successfully');
      if (result.failed.length > 0) throw checkoutFailureError(result.failed);
    });
}
