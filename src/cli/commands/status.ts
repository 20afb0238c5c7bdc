import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface StatusFlags {
  quiet?: boolean;
  json?: boolean;
  cloud?: boolean;
  remote?: string;
  jobs?: string;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Show changed stages and data files (or, with -c, what differs from a remote)')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)')
    .option('--json', 'show the status as JSON')
    .option('-c, --cloud', 'compare the cache with the default remote')
    .option('-r, --remote <name>', 'compare the cache with this remote')
    .option('-j, --jobs <n>', 'with -c: number of parallel remote queries')
    .option('-a, --all-branches', 'with -c: include the data of all branch tips')
    .option('-T, --all-tags', 'with -c: include the data of all tags')
    .option('-A, --all-commits', 'with -c: include the data of every commit')
    .action(async (targets: string[], flags: StatusFlags, command: Command) => {
      const ctx = contextOf(command);
      if (flags.cloud === true || flags.remote !== undefined) {
        const repo = await openRepo(ctx, command);
        const { runCloudStatus } = await import('./cloudStatusCli.js');
        await runCloudStatus(ctx, repo, targets, flags);
        return;
      }
      // Loaded while the repo opens rather than after, all at once: one after the other, each
      // import would wait for the previous one's files.
      const modules = Promise.all([
        import('../../core/7-metafiles/stageIndex.js'),
        import('../../core/9-ops/pipeline/stageStatus.js'),
        import('../progress.js'),
      ]);
      const repo = await openRepo(ctx, command);
      const scoped = [flags.jobs, flags.allBranches, flags.allTags, flags.allCommits];
      if (scoped.some((f) => f !== undefined)) {
        const { SluiceError } = await import('../../core/1-base/errors.js');
        throw new SluiceError(
          'BAD_ARGUMENTS',
          '-a/-T/-A/-j are only valid with -c/--cloud or -r/--remote',
          { hint: 'e.g. sluice status -c -a' },
        );
      }
      const [{ StageIndex, stagesForTargets }, { repoStatus }, { fileProgress }] = await modules;
      const bar = fileProgress(repo, 'Hashing', ctx.ui.isTTY);
      const result = await withRepoLock(
        repo,
        () => {
          const index = StageIndex.load(repo);
          const cwdRel = repo.rel(ctx.cwd);
          const stages = stagesForTargets(index, targets, cwdRel);
          return repoStatus(repo, index, stages, cwdRel).then((status) => ({ stages, status }));
        },
        { sweep: 'records' },
      ).finally(() => bar.finish());
      const changed = Object.keys(result.status).length > 0;
      if (ctx.global.quiet === true) {
        process.exitCode = changed ? 1 : 0;
        return;
      }
      if (flags.json === true) {
        // Python's json.dumps separators, as DVC prints it.
        const { pyJsonOut } = await import('../../core/9-ops/metrics/jsonOut.js');
        ctx.ui.data(pyJsonOut(result.status));
        return;
      }
      if (result.stages.length === 0 && targets.length === 0) {
        ctx.ui.out('There are no data or pipelines tracked in this project yet.');
        return;
      }
      if (!changed) {
        ctx.ui.out('Data and pipelines are up to date.');
        return;
      }
      const { renderStatus } = await import('../render/statusText.js');
      ctx.ui.out(renderStatus(result.status));
    });
}
