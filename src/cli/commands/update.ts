import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface UpdateFlags {
  download: boolean;
  rev?: string;
  jobs?: string;
}

export function registerUpdate(program: Command): void {
  program
    .command('update')
    .description('Download the newest version of imported data (import, import-url)')
    .argument('<targets...>', '.dvc files of imports')
    .option('--rev <rev>', 'for imports from git repositories: the revision to move to')
    .option('--no-download', 'record the new hashes without downloading')
    .option('-j, --jobs <n>', 'parallel downloads')
    .action(async (targets: string[], flags: UpdateFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { updateImportUrl } = await import('../../core/9-ops/imports/importUrl.js');
      const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
      const changed = await withRepoLock(repo, async () => {
        const files: string[] = [];
        for (const target of targets) {
          const rel = repo.rel(target.endsWith('.dvc') ? target : `${target}.dvc`, ctx.cwd);
          const result = await updateImportUrl(repo, rel, {
            noDownload: !flags.download,
            ...(flags.rev === undefined ? {} : { rev: flags.rev }),
            ...(jobs === undefined || !(jobs > 0) ? {} : { jobs }),
          });
          if (result.changed) files.push(rel);
          else ctx.ui.info(`'${rel}' didn't change, skipping`);
        }
        return files;
      });
      await gitHint(ctx, repo, changed);
    });
}
