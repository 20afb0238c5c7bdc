import type { Command } from 'commander';
import { contextOf } from '../context.js';

interface GetFlags {
  out?: string;
  rev?: string;
  force?: boolean;
  jobs?: string;
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('Download a file or folder from a git repository with Sluice/DVC data (untracked)')
    .argument('<url>', 'the git repository: a path, file:// or any URL git can clone')
    .argument('<path>', 'the path inside that repository')
    .option('-o, --out <path>', 'where to put it (default: the last part of the path)')
    .option('--rev <rev>', 'the branch, tag or commit to read (default: its HEAD)')
    .option('-f, --force', 'replace an existing file or folder')
    .option('-j, --jobs <n>', 'parallel downloads')
    .action(async (url: string, path: string, flags: GetFlags, command: Command) => {
      const ctx = contextOf(command);
      const { getFromRepo } = await import('../../core/9-ops/imports/importRepo.js');
      const jobs = flags.jobs === undefined ? undefined : Number(flags.jobs);
      await getFromRepo(url, path, {
        cwd: ctx.cwd,
        ...(flags.out === undefined ? {} : { out: flags.out }),
        ...(flags.rev === undefined ? {} : { rev: flags.rev }),
        ...(jobs === undefined || !(jobs > 0) ? {} : { jobs }),
        force: flags.force === true,
      });
    });
}
