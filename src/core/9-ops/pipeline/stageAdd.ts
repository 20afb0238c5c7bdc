import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { dumpYaml } from '../../7-metafiles/yaml/dump.js';
import { parseYamlFile } from '../../7-metafiles/yaml/parse.js';
import { updateYamlText } from '../../7-metafiles/yaml/update.js';
import { errnoCode, SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import { isUrl, resolveInRepo } from '../../7-metafiles/dvcFile.js';
import { newEntry, type EntryObject } from '../../7-metafiles/entries.js';
import { Dependency, Output, Stage } from '../../7-metafiles/stage.js';
import { isInside, PIPELINE_FILE, StageIndex } from '../../7-metafiles/stageIndex.js';
import { isValidStageName, type OutDecl, type ParamsDep } from '../../7-metafiles/dvcYaml.js';
import { PipelineGraph } from '../../7-metafiles/graph.js';
import { serializeStage } from '../../7-metafiles/stageSerialize.js';
import { ignoreOutputs } from '../data/ignoreOutputs.js';

export interface StageSpec {
  cmd: string;
  deps: string[];
  params: ParamsDep[];
  outs: OutDecl[];
  wdir?: string;
  alwaysChanged?: boolean;
  desc?: string;
  force?: boolean;
}

/** Parses `-p` values: `k1,k2`, `file.yaml:k1,k2`, `file.yaml:` (the whole file). */
export function parseParamsOption(values: string[]): ParamsDep[] {
  const byFile = new Map<string, string[] | null>();
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    const file = colon === -1 ? 'params.yaml' : value.slice(0, colon);
    const keysText = colon === -1 ? value : value.slice(colon + 1);
    const keys = keysText
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k.length > 0);
    if (keys.length === 0) {
      byFile.set(file, null);
      continue;
    }
    const existing = byFile.get(file);
    if (existing === null) continue;
    byFile.set(file, [...(existing ?? []), ...keys.filter((k) => !(existing ?? []).includes(k))]);
  }
  return [...byFile].map(([file, keys]) => ({ file, keys }));
}

/**
 * Checks a new or replaced stage against the rest of the repository: paths inside the repo, no
 * output produced twice or nested in another, no dependency on its own output, no cycle.
 */
function checkAgainstRepo(index: StageIndex, stage: Stage, replacing: Stage[]): void {
  const others = index.stages.filter((s) => !replacing.includes(s));
  for (const out of stage.outs) {
    for (const other of others) {
      for (const theirs of other.outs) {
        if (theirs.repoPath === out.repoPath) {
          throw new SluiceError(
            'OUTPUT_OVERLAP',
            `output '${out.path}' is already specified in stage: '${other.address()}'`,
            { hint: 'each output can be produced by one stage only' },
          );
        }
        if (isInside(out.repoPath, theirs.repoPath) || isInside(theirs.repoPath, out.repoPath)) {
          throw new SluiceError(
            'OUTPUT_OVERLAP',
            `the output path '${out.path}' is overlapping with the output '${theirs.repoPath}' of '${other.address()}'`,
            { hint: 'an output cannot be inside another output' },
          );
        }
      }
    }
  }
  // Building the graph checks self-dependencies and cycles.
  new PipelineGraph([...others, stage]);
}

function buildStage(
  kind: 'pipeline' | 'single',
  file: string,
  wdir: string,
  spec: StageSpec,
  name?: string,
): Stage {
  const stage = new Stage(kind, file, wdir, {
    ...(name === undefined ? {} : { name }),
    cmd: spec.cmd,
    frozen: false,
    alwaysChanged: spec.alwaysChanged === true,
  });
  for (const params of spec.params) {
    stage.deps.push(
      new Dependency(
        stage,
        params.file,
        resolveInRepo(file, wdir, params.file),
        {},
        {
          file: params.file,
          keys: params.keys,
          recorded: undefined,
        },
      ),
    );
  }
  for (const dep of spec.deps) {
    stage.deps.push(
      new Dependency(stage, dep, isUrl(dep) ? undefined : resolveInRepo(file, wdir, dep), {}),
    );
  }
  const seen = new Set<string>();
  for (const out of spec.outs) {
    const repoPath = resolveInRepo(file, wdir, out.path);
    if (seen.has(repoPath)) {
      throw new SluiceError('BAD_ARGUMENTS', `output '${out.path}' is listed more than once`);
    }
    seen.add(repoPath);
    stage.outs.push(
      new Output(
        stage,
        out.path,
        repoPath,
        {},
        { cache: out.cache, persist: out.persist, kind: out.kind, push: out.push },
      ),
    );
  }
  if (spec.cmd.trim() === '') {
    throw new SluiceError('BAD_ARGUMENTS', 'command is not specified', {
      hint: 'give the command after the options',
    });
  }
  return stage;
}

async function ensureOutputsNotGitTracked(repo: Repo, stage: Stage): Promise<void> {
  if (repo.git === null) return;
  const cached = stage.outs.filter((o) => o.cache).map((o) => o.repoPath);
  const tracked = await repo.git.isTracked(cached);
  for (const path of cached) {
    if (tracked.has(path)) {
      throw new SluiceError('FAILED', `output '${path}' is already tracked by SCM (e.g. Git)`, {
        hint: `stop tracking it with git first: git rm -r --cached '${path}'`,
      });
    }
  }
}

/** `sluice stage add -n NAME` (and `run -n`): writes the stage into dvc.yaml in the cwd. */
export async function addPipelineStage(
  repo: Repo,
  name: string,
  spec: StageSpec,
  cwd: string,
): Promise<{
  file: string;
  created: boolean;
  modified: boolean;
  stage: Stage;
  /** The .gitignore files that now list the stage's cached outputs (DVC adds them too). */
  gitignores: string[];
  /** The .gitignore files (absolute) left for the stage's run: their folders are not there yet. */
  gitignoresLater: string[];
}> {
  if (!isValidStageName(name)) {
    throw new SluiceError('BAD_ARGUMENTS', `invalid stage name '${name}'`, {
      hint: 'use letters, digits, `-` and `_` only',
    });
  }
  const cwdRel = repo.rel(cwd);
  const file = cwdRel === '' ? PIPELINE_FILE : `${cwdRel}/${PIPELINE_FILE}`;
  const index = StageIndex.load(repo);
  const existing = index.pipelineFiles.get(file)?.stages.filter((s) => s.name === name) ?? [];
  if (existing.length > 0 && spec.force !== true) {
    throw new SluiceError('ALREADY_EXISTS', `Stage '${name}' already exists in '${file}'.`, {
      hint: "use '--force' to overwrite it",
    });
  }
  const wdir = resolveInRepo(file, cwdRel, spec.wdir ?? '.');
  const stage = buildStage('pipeline', file, wdir, spec, name);
  checkAgainstRepo(index, stage, existing);
  await ensureOutputsNotGitTracked(repo, stage);

  let text: string | undefined;
  try {
    text = readFileSync(repo.abs(file), 'utf8');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
  const serialized = serializeStage({
    cmd: spec.cmd,
    ...(spec.wdir === undefined || spec.wdir === '.' ? {} : { wdir: spec.wdir }),
    deps: spec.deps,
    params: spec.params,
    outs: spec.outs,
    ...(spec.alwaysChanged === true ? { alwaysChanged: true } : {}),
    ...(spec.desc === undefined ? {} : { desc: spec.desc }),
  });
  if (text === undefined || text.trim() === '') {
    await repo.workspace.writeFile(file, dumpYaml({ stages: { [name]: serialized } }));
  } else {
    const data = (parseYamlFile(text, file).data ?? {}) as EntryObject;
    const stages = (data.stages ?? {}) as EntryObject;
    stages[name] = serialized;
    data.stages = stages;
    await repo.workspace.writeFile(file, updateYamlText(text, data));
  }
  // As DVC, an output whose folder is not there yet gets its entry when the stage runs.
  const cached = stage.outs.filter((o) => o.cache).map((o) => o.repoPath);
  const folderThere = (path: string): boolean => {
    const folder = posix.dirname(path);
    return folder === '.' || repo.exists(folder);
  };
  const gitignores = await ignoreOutputs(repo, cached.filter(folderThere));
  const gitignoresLater = cached
    .filter((path) => !folderThere(path))
    .map((path) => repo.abs(posix.join(posix.dirname(path), '.gitignore')));
  return {
    file,
    created: text === undefined,
    modified: existing.length > 0,
    stage,
    gitignores,
    gitignoresLater,
  };
}

/** The file `run` writes: `-f FILE`, else `<first output>.dvc`, else `Dvcfile` (as DVC 0.x). */
export function singleStageFilePath(
  repo: Repo,
  fileArg: string | undefined,
  outs: OutDecl[],
  cwd: string,
): string {
  const firstOut = outs[0];
  const defaultName = firstOut === undefined ? 'Dvcfile' : `${posix.basename(firstOut.path)}.dvc`;
  return repo.rel(fileArg ?? defaultName, cwd);
}

/**
 * `sluice run -f FILE` (and `run` with neither -f nor -n): the single-stage file of the classic
 * tutorial (`cmd`, `deps`, `outs`; hashes and the stage md5 are filled in after it runs).
 */
export async function writeSingleStageFile(
  repo: Repo,
  fileArg: string | undefined,
  spec: StageSpec,
  cwd: string,
): Promise<string> {
  const cwdRel = repo.rel(cwd);
  const file = singleStageFilePath(repo, fileArg, spec.outs, cwd);
  if (!file.endsWith('.dvc') && posix.basename(file) !== 'Dvcfile') {
    throw new SluiceError('BAD_ARGUMENTS', `bad stage file name '${file}'`, {
      hint: "a single-stage file is named '*.dvc' or 'Dvcfile'",
    });
  }
  const index = StageIndex.load(repo);
  const existingFile = index.dvcFiles.get(file);
  if (existsSync(repo.abs(file)) && spec.force !== true) {
    throw new SluiceError('ALREADY_EXISTS', `'${file}' already exists`, {
      hint: 'use `--force` to overwrite it',
    });
  }
  const fileDir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
  const wdirValue = spec.wdir === undefined ? posix.relative(fileDir, cwdRel) || '.' : spec.wdir;
  const wdir = resolveInRepo(file, fileDir, wdirValue);
  const stage = buildStage('single', file, wdir, spec);
  checkAgainstRepo(index, stage, existingFile === undefined ? [] : [existingFile.stage]);
  await ensureOutputsNotGitTracked(repo, stage);
  const data: EntryObject = { cmd: spec.cmd };
  if (wdirValue !== '.') data.wdir = wdirValue;
  if (spec.deps.length > 0) data.deps = spec.deps.map((d) => newEntry(d, {}));
  if (spec.outs.length > 0) {
    data.outs = spec.outs.map((o) => {
      const entry = newEntry(o.path, {});
      if (!o.cache) entry.cache = false;
      if (o.kind === 'metric') entry.metric = true;
      if (o.persist) entry.persist = true;
      return entry;
    });
  }
  if (spec.alwaysChanged === true) data.always_changed = true;
  await repo.workspace.writeFile(file, dumpYaml(data));
  return file;
}
