import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';

interface UpdateFlags {
  download: boolean;
}

export function registerUpdate(program: Command): void {
  program
    .command('update')
    .description('Download the newest version of imported data (import-url)')
    .argument('<targets...>', '.dvc files of imports')
    .option('--no-download', 'record the new hashes without downloading')
    .action(async (targets: string[], flags: UpdateFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { updateImportUrl } = await import('../../core/ops/importUrl.js');
      const changed = await repo.withLock(async () => {
        const files: string[] = [];
        for (const target of targets) {
          const rel = repo.rel(target.endsWith('.dvc') ? target : `${target}.dvc`, ctx.cwd);
          const result = await updateImportUrl(repo, rel, { noDownload: !flags.download });
          if (result.changed) files.push(rel);
        }
        return files;
      });
      await gitHint(ctx, repo, changed);
    });
}
