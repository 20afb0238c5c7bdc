import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface ReproFlags {
  force?: boolean;
  singleItem?: boolean;
  pipeline?: boolean;
  allPipelines?: boolean;
  recursive?: boolean;
  downstream?: boolean;
  dry?: boolean;
  allowMissing?: boolean;
  keepGoing?: boolean;
  runCache: boolean;
  commit: boolean;
  jobs?: string;
  pull?: boolean;
  interactive?: boolean;
}

export function registerRepro(program: Command): void {
  program
    .command('repro')
    .description('Reproduce the pipeline: rerun the stages whose dependencies changed, in order')
    .argument(
      '[targets...]',
      'stages or .dvc files (default: dvc.yaml of this folder, or its Dvcfile)',
    )
    .option('-f, --force', 'run every stage in the plan even if nothing changed')
    .option('-s, --single-item', 'run only the targets, not their upstream stages')
    .option('-p, --pipeline', 'run the whole pipelines the targets belong to')
    .option('-P, --all-pipelines', 'run every pipeline of the repository')
    .option('-R, --recursive', 'targets are folders: every stage in them')
    .option('--downstream', 'run the targets and the stages that depend on them')
    .option('--dry', 'only print what would run')
    .option('--allow-missing', 'skip stages whose only change is missing data')
    .option('-k, --keep-going', 'continue with independent stages after a failure')
    .option('--no-run-cache', 'run commands even if the run cache has their results')
    .option('--no-commit', "don't put outputs into the cache")
    .option('-j, --jobs <n>', 'run up to N independent stages at the same time', '1')
    .option('--pull', 'first pull the data the stages need from the remote (and the run cache)')
    .option('-i, --interactive', 'ask before running each stage')
    .action(async (targets: string[], flags: ReproFlags, command: Command) => {
      const ctx = contextOf(command);
      // Loaded while the repo opens rather than after.
      const runner = import('./reproRunner.js');
      const repo = await openRepo(ctx, command);
      const jobs = Number.parseInt(flags.jobs ?? '1', 10);
      if (!Number.isInteger(jobs) || jobs < 1) {
        const { SluiceError } = await import('../../core/1-base/errors.js');
        throw new SluiceError(
          'BAD_ARGUMENTS',
          `--jobs takes a positive whole number, not '${flags.jobs ?? ''}'`,
        );
      }
      let resolvedTargets = targets;
      if (flags.recursive === true) {
        // Every stage defined in the given folders, addressed by absolute path.
        const { StageIndex } = await import('../../core/7-metafiles/stageIndex.js');
        const dirs = targets.map((t) => repo.rel(t, ctx.cwd));
        resolvedTargets = StageIndex.load(repo)
          .stages.filter((s) => dirs.some((dir) => dir === '' || s.file.startsWith(`${dir}/`)))
          .map((s) =>
            s.kind === 'pipeline' ? `${repo.abs(s.file)}:${s.name ?? ''}` : repo.abs(s.file),
          );
      }
      if (flags.pull === true) {
        // Like DVC's --pull: bring what is missing locally (data and run-cache entries) from the
        // remote first; objects the remote lacks are reported and the stages then run.
        const { pull } = await import('../../core/9-ops/remote/pull.js');
        const pulled = await withRepoLock(repo, () =>
          pull(repo, {
            cwd: ctx.cwd,
            targets: resolvedTargets,
            runCache: true,
            allowMissing: true,
          }),
        );
        if (pulled.fetched.transferred > 0)
          ctx.ui.out(`${pulled.fetched.transferred} files fetched`);
      }
      const { reproStages } = await runner;
      let confirm: ((address: string) => Promise<boolean>) | undefined;
      if (flags.interactive === true) {
        const prompt = await import('../prompt.js');
        confirm = (address) =>
          repo.withLockLent(() =>
            prompt.confirm(
              `Going to reproduce stage: '${address}'. Are you sure you want to continue?`,
            ),
          );
      }
      await reproStages(ctx, repo, {
        ...(confirm === undefined ? {} : { confirm }),
        targets: resolvedTargets,
        force: flags.force === true,
        single: flags.singleItem === true,
        pipeline: flags.pipeline === true,
        allPipelines: flags.allPipelines === true,
        downstream: flags.downstream === true,
        dry: flags.dry === true,
        allowMissing: flags.allowMissing === true,
        keepGoing: flags.keepGoing === true,
        noRunCache: !flags.runCache,
        noCommit: !flags.commit,
        jobs,
      });
    });
}
