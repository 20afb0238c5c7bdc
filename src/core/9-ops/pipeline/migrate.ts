import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { dumpYaml } from '../../7-metafiles/yaml/dump.js';
import { parseYamlFile } from '../../7-metafiles/yaml/parse.js';
import { updateYamlText } from '../../7-metafiles/yaml/update.js';
import { errnoCode, SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import type { EntryObject } from '../../7-metafiles/entries.js';
import type { Stage } from '../../7-metafiles/stage.js';
import { PIPELINE_FILE, StageIndex } from '../../7-metafiles/stageIndex.js';
import type { OutDecl } from '../../7-metafiles/dvcYaml.js';
import { PipelineFile } from '../../7-metafiles/pipelineFile.js';
import { serializeStage } from '../../7-metafiles/stageSerialize.js';

export interface MigrateResult {
  migrated: Array<{ from: string; file: string; stage: string }>;
  gitFiles: string[];
}

/** A stage name from a single-stage file name: `training.dvc` -> `training`. */
function stageNameFor(file: string): string {
  const base = posix.basename(file).replace(/\.dvc$/, '');
  return base.replace(/[^\w-]/g, '_') || 'stage';
}

/**
 * `sluice stage migrate`: turns single-stage files (0.x `run -f`, `Dvcfile`) into stages of the
 * `dvc.yaml` beside them, with their recorded hashes moved into `dvc.lock`, so DVC 3 can read
 * the repository. Data sources and imports stay `.dvc` files.
 */
export async function migrateSingleStageFiles(
  repo: Repo,
  files: string[],
  cwd: string,
): Promise<MigrateResult> {
  const index = StageIndex.load(repo);
  const wanted =
    files.length === 0
      ? [...index.dvcFiles.values()].filter((f) => f.stage.kind === 'single')
      : files.map((f) => {
          const rel = repo.rel(f, cwd);
          const found = index.dvcFiles.get(rel);
          if (found === undefined || found.stage.kind !== 'single') {
            throw new SluiceError('BAD_ARGUMENTS', `'${f}' is not a single-stage file`, {
              hint: 'only files written by `run -f` (with a cmd) can be migrated',
            });
          }
          return found;
        });
  const result: MigrateResult = { migrated: [], gitFiles: [] };
  for (const dvcFile of wanted) {
    const stage = dvcFile.stage;
    const dir = posix.dirname(stage.file) === '.' ? '' : posix.dirname(stage.file);
    const yamlPath = dir === '' ? PIPELINE_FILE : `${dir}/${PIPELINE_FILE}`;
    const name = stageNameFor(stage.file);
    const wdir = posix.relative(dir, stage.wdir) || '.';
    const outs: OutDecl[] = stage.outs.map((o) => ({
      path: o.path,
      kind: o.kind,
      cache: o.cache,
      persist: o.persist,
      push: true,
    }));
    const serialized = serializeStage({
      cmd: stage.cmd ?? '',
      ...(wdir === '.' ? {} : { wdir }),
      deps: stage.deps.filter((d) => d.params === undefined).map((d) => d.path),
      params: [],
      outs,
      ...(stage.frozen ? { frozen: true } : {}),
      ...(stage.props.alwaysChanged ? { alwaysChanged: true } : {}),
    });
    let text: string | undefined;
    try {
      text = readFileSync(repo.abs(yamlPath), 'utf8');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    const data = (
      text === undefined ? {} : (parseYamlFile(text, yamlPath).data ?? {})
    ) as EntryObject;
    const stages = (data.stages ?? {}) as EntryObject;
    if (name in stages) {
      throw new SluiceError('ALREADY_EXISTS', `stage '${name}' already exists in '${yamlPath}'`, {
        hint: `rename '${stage.file}' first`,
      });
    }
    stages[name] = serialized;
    data.stages = stages;
    await repo.workspace.writeFile(
      yamlPath,
      text === undefined ? dumpYaml(data) : updateYamlText(text, data),
    );
    // The lock gets the hashes the single-stage file recorded.
    const pipeline = PipelineFile.load(repo, yamlPath);
    const migrated = pipeline.stages.find((s) => s.name === name) as Stage;
    migrated.deps.forEach((d) => {
      const old = stage.deps.find((o) => o.path === d.path);
      if (old !== undefined) d.recorded = old.recorded;
    });
    migrated.outs.forEach((o) => {
      const old = stage.outs.find((x) => x.path === o.path);
      if (old !== undefined) o.recorded = old.recorded;
    });
    const { path: lockPath } = await pipeline.writeLock(repo, [migrated]);
    repo.workspace.remove(stage.file);
    result.migrated.push({ from: stage.file, file: yamlPath, stage: name });
    for (const f of [yamlPath, lockPath, stage.file])
      if (!result.gitFiles.includes(f)) result.gitFiles.push(f);
  }
  return result;
}
