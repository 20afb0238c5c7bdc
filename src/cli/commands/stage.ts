import type { Command } from 'commander';
import type { Stage } from '../../core/7-metafiles/stage.js';
import { contextOf, gitHint, openRepo } from '../context.js';
import { addStageOptions, joinCommand, outputsFromFlags, type StageFlags } from './stageOptions.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

export function registerStage(program: Command): void {
  const stage = program
    .command('stage')
    .description('Define and list pipeline stages (dvc.yaml)')
    .enablePositionalOptions();

  addStageOptions(
    stage
      .command('add')
      .description('Add a stage to dvc.yaml')
      .requiredOption('-n, --name <name>', 'stage name')
      .option('--run', 'run the stage after adding it')
      .option('-f, --force', 'overwrite an existing stage of the same name')
      .argument('<command...>', 'the command to run')
      .passThroughOptions(),
  ).action(
    async (
      words: string[],
      flags: StageFlags & { name: string; run?: boolean },
      command: Command,
    ) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { addPipelineStage, parseParamsOption } =
        await import('../../core/9-ops/pipeline/stageAdd.js');
      const result = await withRepoLock(repo, () =>
        addPipelineStage(
          repo,
          flags.name,
          {
            cmd: joinCommand(words),
            deps: flags.deps,
            params: parseParamsOption(flags.params),
            outs: outputsFromFlags(flags),
            ...(flags.wdir === undefined ? {} : { wdir: flags.wdir }),
            alwaysChanged: flags.alwaysChanged === true,
            ...(flags.desc === undefined ? {} : { desc: flags.desc }),
            force: flags.force === true,
          },
          ctx.cwd,
        ),
      );
      // DVC's one line, on stdout, for a new stage and a replaced one alike.
      const path = await import('node:path');
      ctx.ui.out(
        `Added stage '${flags.name}' in '${path.relative(ctx.cwd, repo.abs(result.file))}'`,
      );
      for (const gitignore of result.gitignoresLater) {
        ctx.ui.info(
          `Could not create .gitignore entry in ${gitignore}. Sluice will attempt to create .gitignore entry again when the stage is run.`,
        );
      }
      if (flags.run === true) {
        const { reproStages } = await import('./reproRunner.js');
        await reproStages(
          ctx,
          repo,
          { targets: [`${result.file}:${flags.name}`], single: true, force: true },
          [result.file, ...result.gitignores],
        );
      } else {
        await gitHint(ctx, repo, [result.file, ...result.gitignores]);
      }
    },
  );

  stage
    .command('list')
    .description('List stages with their outputs')
    .argument('[targets...]', 'dvc.yaml files or stages (default: ./dvc.yaml)')
    .option('--all', 'list every stage of the repository, .dvc files too')
    .option('--name-only', 'print only the stage names')
    .action(
      async (targets: string[], flags: { all?: boolean; nameOnly?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        const repo = await openRepo(ctx, command);
        const { StageIndex, stagesForTargets, stagesOfPipelineHere } =
          await import('../../core/7-metafiles/stageIndex.js');
        const index = StageIndex.load(repo);
        const cwdRel = repo.rel(ctx.cwd);
        // As DVC: `--all` lists every stage of the repository, `.dvc` files too; no target
        // means the dvc.yaml of the working folder.
        const stages =
          flags.all === true
            ? index.stages
            : targets.length === 0
              ? stagesOfPipelineHere(index, cwdRel)
              : stagesForTargets(index, targets, cwdRel).filter((s) => s.kind !== 'data');
        const rows = stages.map((s) => [s.address(cwdRel), s.props.desc ?? describeStage(s)]);
        const width = Math.max(0, ...rows.map((r) => (r[0] ?? '').length));
        for (const [address, info] of rows) {
          ctx.ui.data(
            flags.nameOnly === true || info === ''
              ? (address ?? '')
              : `${(address ?? '').padEnd(width)}  ${info ?? ''}`,
          );
        }
      },
    );

  stage
    .command('migrate')
    .description(
      'Convert single-stage .dvc files (run -f, Dvcfile) into dvc.yaml stages that DVC 3 reads',
    )
    .argument('[files...]', 'single-stage files (default: all of them)')
    .action(async (files: string[], _flags: unknown, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      const { migrateSingleStageFiles } = await import('../../core/9-ops/pipeline/migrate.js');
      const result = await withRepoLock(repo, () => migrateSingleStageFiles(repo, files, ctx.cwd));
      for (const m of result.migrated)
        ctx.ui.info(`Migrated '${m.from}' to stage '${m.stage}' in '${m.file}'`);
      if (result.migrated.length === 0) ctx.ui.info('Nothing to migrate.');
      await gitHint(ctx, repo, result.gitFiles);
    });
}

/** What `stage list` says of a stage without a `desc`, in DVC's words. */
function describeStage(stage: Stage): string {
  const paths = (items: Array<{ path: string }>): string => items.map((i) => i.path).join(', ');
  const deps = [
    ...stage.deps.filter((d) => d.params === undefined),
    ...stage.deps.filter((d) => d.params !== undefined),
  ];
  if (deps.length === 0 && stage.outs.length === 0) return 'No outputs or dependencies';
  if (stage.outs.length === 0) return `Depends on ${paths(deps)}`;
  const outs = stage.outs.filter((o) => o.kind === 'out');
  const reports = stage.outs.filter((o) => o.kind !== 'out');
  return [
    ...(outs.length > 0 ? [`Outputs ${paths(outs)}`] : []),
    ...(reports.length > 0 ? [`Reports ${paths(reports)}`] : []),
  ].join('; ');
}
