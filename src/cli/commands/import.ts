import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface ImportFlags {
  out?: string;
  rev?: string;
  force?: boolean;
  jobs?: string;
  exec: boolean;
  download: boolean;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('Download data from another git repository and track where it came from')
    .argument('<url>', 'the git repository: a path, file:// or any URL git can clone')
    .argument('<path>', 'the path inside that repository')
    .option('-o, --out <path>', 'where to put it (default: the last part of the path)')
    .option('--rev <rev>', 'the branch, tag or commit to import from (default: its HEAD)')
    .option('--no-exec', 'only write the .dvc file: no clone, no download')
    .option('--no-download', 'record the commit without downloading the data')
    .option('-f, --force', 'overwrite an existing .dvc file')
    .option('-j, --jobs <n>', 'parallel downloads')
    .action(async (url: string, path: string, flags: ImportFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { importRepo } = await import('../../core/9-ops/imports/importRepo.js');
      const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
      if (flags.exec && flags.download) {
        const { maskUrl } = await import('../../core/4-storage/storage.js');
        const target = flags.out ?? (path.replace(/\/+$/, '').split('/').pop() || path);
        ctx.ui.out(`Importing '${path} (${maskUrl(url)})' -> '${target}'`);
      }
      const result = await withRepoLock(repo, () =>
        importRepo(repo, url, path, {
          cwd: ctx.cwd,
          ...(flags.out === undefined ? {} : { out: flags.out }),
          ...(flags.rev === undefined ? {} : { rev: flags.rev }),
          ...(jobs === undefined || !(jobs > 0) ? {} : { jobs }),
          noExec: !flags.exec,
          noDownload: !flags.download,
          force: flags.force === true,
        }),
      );
      await gitHint(ctx, repo, result.gitFiles);
    });
}
