import type { Command } from 'commander';
import { SluiceError } from '../../core/1-base/errors.js';
import { contextOf, gitHint, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface ImportUrlFlags {
  exec: boolean;
  download: boolean;
  force?: boolean;
  fsConfig?: string[];
}

function parseFsConfig(pairs: string[] | undefined): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new SluiceError('BAD_ARGUMENTS', `--fs-config expects KEY=VALUE, got '${pair}'`);
    }
    config[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return config;
}

export function registerImportUrl(program: Command): void {
  program
    .command('import-url')
    .description('Download a file or folder from a URL or path and track it (frozen)')
    .argument('<url>', 'local path, http(s)://, s3://, azure://, gs:// or ssh:// URL')
    .argument('[out]', 'where to put it in the repository (default: its name)')
    .option('--no-exec', 'only write the .dvc file: no hashing, no download')
    .option('--no-download', 'record the hashes of the source without downloading it')
    .option('-f, --force', 'overwrite an existing .dvc file')
    .option(
      '--fs-config <key=value>',
      "an option of the source's file system (endpointurl, keyfile, …), recorded in the .dvc file",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(
      async (url: string, out: string | undefined, flags: ImportUrlFlags, command: Command) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        const { importUrl } = await import('../../core/9-ops/imports/importUrl.js');
        const storageModule = await import('../../core/4-storage/storage.js');
        if (flags.exec && flags.download) {
          const path = await import('node:path');
          const { schemeOf } = await import('../../core/4-storage/registry.js');
          const shown =
            schemeOf(url) === 'local' ? path.resolve(ctx.cwd, url) : storageModule.maskUrl(url);
          const target = out ?? url.replace(/\/+$/, '').split('/').pop() ?? url;
          ctx.ui.out(`Importing '${shown}' -> '${target}'`);
        }
        const result = await withRepoLock(repo, () =>
          importUrl(repo, url, {
            cwd: ctx.cwd,
            ...(out === undefined ? {} : { out }),
            noExec: !flags.exec,
            noDownload: !flags.download,
            force: flags.force === true,
            fsConfig: parseFsConfig(flags.fsConfig),
          }),
        );
        await gitHint(ctx, repo, result.gitFiles);
      },
    );
}
