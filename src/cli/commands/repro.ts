import type { Command } from 'commander';
import { contextOf, gitHint, openRepo } from '../context.js';

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
    .option('--pull', 'fetch missing data from the remote first (not yet supported)')
    .action(async (targets: string[], flags: ReproFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const jobs = Number.parseInt(flags.jobs ?? '1', 10);
      if (!Number.isInteger(jobs) || jobs < 1) {
        const { SluiceError } = await import('../../core/errors.js');
        throw new SluiceError(
          'BAD_ARGUMENTS',
          `--jobs takes a positive whole number, not '${flags.jobs ?? ''}'`,
        );
      }
      let resolvedTargets = targets;
      if (flags.recursive === true) {
        // Every stage defined in the given folders, addressed by absolute path.
        const { StageIndex } = await import('../../core/stage/stageIndex.js');
        const dirs = targets.map((t) => repo.rel(t, ctx.cwd));
        resolvedTargets = StageIndex.load(repo)
          .stages.filter((s) => dirs.some((dir) => dir === '' || s.file.startsWith(`${dir}/`)))
          .map((s) =>
            s.kind === 'pipeline' ? `${repo.abs(s.file)}:${s.name ?? ''}` : repo.abs(s.file),
          );
      }
      const { reproStages } = await import('./reproRunner.js');
      const files = await reproStages(ctx, repo, {
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
      await gitHint(ctx, repo, files);
    });
}
