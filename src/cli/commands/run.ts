import { type Command, Option } from 'commander';
import { relative } from 'node:path';
import { contextOf, gitHint, openRepo } from '../context.js';
import { addStageOptions, joinCommand, outputsFromFlags, type StageFlags } from './stageOptions.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface RunFlags extends StageFlags {
  name?: string;
  file?: string;
  exec: boolean;
  runCache: boolean;
  force?: boolean;
  overwriteDvcfile?: boolean;
}

export function registerRun(program: Command): void {
  addStageOptions(
    program
      .command('run')
      .description(
        'Define a stage and run it: -n writes dvc.yaml, -f (or neither) a single-stage .dvc file',
      )
      .option('-n, --name <name>', 'stage name in dvc.yaml')
      .option('-f, --file <file>', 'single-stage file to write, e.g. train.dvc or Dvcfile')
      .option('--force', 'overwrite an existing stage or stage file')
      .addOption(new Option('--overwrite-dvcfile', 'the 0.x name of --force').hideHelp())
      .option('--no-exec', 'only write the stage, do not run it')
      .option('--no-run-cache', 'run the command even if the run cache has its results')
      .argument('<command...>', 'the command to run')
      .passThroughOptions(),
  ).action(async (words: string[], flags: RunFlags, command: Command) => {
    const ctx = contextOf(command);
    const repo = await openRepo(ctx, command);
    const { addPipelineStage, parseParamsOption, singleStageFilePath, writeSingleStageFile } =
      await import('../../core/9-ops/pipeline/stageAdd.js');
    const spec = {
      cmd: joinCommand(words),
      deps: flags.deps,
      params: parseParamsOption(flags.params),
      outs: outputsFromFlags(flags),
      ...(flags.wdir === undefined ? {} : { wdir: flags.wdir }),
      alwaysChanged: flags.alwaysChanged === true,
      ...(flags.desc === undefined ? {} : { desc: flags.desc }),
      force: flags.force === true || flags.overwriteDvcfile === true,
    };
    // The stage is written first so repro can load it; if its first run fails, the file is put
    // back as it was, the way DVC writes a stage only after it ran.
    const { readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const snapshot = (file: string): (() => void) => {
      let before: string | undefined;
      try {
        before = readFileSync(repo.abs(file), 'utf8');
      } catch {
        before = undefined;
      }
      return () => {
        if (before === undefined) rmSync(repo.abs(file), { force: true });
        else writeFileSync(repo.abs(file), before);
      };
    };
    let target: string;
    let restore: () => void;
    const files: string[] = [];
    if (flags.name !== undefined) {
      const name = flags.name;
      const yaml = repo.rel('dvc.yaml', ctx.cwd);
      restore = snapshot(yaml);
      const result = await withRepoLock(repo, () => addPipelineStage(repo, name, spec, ctx.cwd));
      if (result.created) ctx.ui.info(`Creating '${result.file}'`);
      ctx.ui.info(
        `${result.modified ? 'Modifying' : 'Adding'} stage '${name}' in '${result.file}'`,
      );
      target = `${repo.abs(result.file)}:${name}`;
      files.push(result.file, ...result.gitignores);
      for (const gitignore of result.gitignoresLater) {
        ctx.ui.info(
          `Could not create .gitignore entry in ${gitignore}. Sluice will attempt to create .gitignore entry again when the stage is run.`,
        );
      }
    } else {
      restore = snapshot(singleStageFilePath(repo, flags.file, spec.outs, ctx.cwd));
      const file = await withRepoLock(repo, () =>
        writeSingleStageFile(repo, flags.file, spec, ctx.cwd),
      );
      target = repo.abs(file);
      files.push(file);
      ctx.ui.warn(
        `'${relative(ctx.cwd, repo.abs(file))}' is a single-stage file, which DVC 3 cannot read: ` +
          'use `sluice run -n NAME` to write the stage into dvc.yaml, or convert the file with ' +
          '`sluice stage migrate`',
      );
    }
    if (flags.exec) {
      const { reproStages } = await import('./reproRunner.js');
      try {
        await reproStages(
          ctx,
          repo,
          { targets: [target], single: true, force: true, noRunCache: !flags.runCache },
          files,
        );
      } catch (error) {
        restore();
        throw error;
      }
    } else {
      await gitHint(ctx, repo, files);
    }
  });
}
