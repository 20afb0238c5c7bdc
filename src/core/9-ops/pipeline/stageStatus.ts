import { readFileSync } from 'node:fs';
import { errnoCode } from '../../1-base/errors.js';
import { paramsDepStatus, parseParamsFile } from '../../7-metafiles/paramsFile.js';
import type { Repo } from '../../6-repo/repo.js';
import { computeStageMd5, type DvcFile } from '../../7-metafiles/dvcFile.js';
import { relativeTo, type Dependency, type Stage } from '../../7-metafiles/stage.js';
import type { StageIndex } from '../../7-metafiles/stageIndex.js';
import { hashPath } from '../../5-workspace/hashPath.js';
import { hashNameFor, outputStatus } from '../data/outputState.js';
import { repoDependencyName, repoDependencyStatus } from './repoDependency.js';
import { externalDependencyStatuses, type ExternalStatuses } from './externalDeps.js';

export type ChangeWord = 'deleted' | 'modified' | 'new' | 'not in cache' | 'update available';

/** One item of a stage's status, in DVC's JSON shape. */
export type StatusItem =
  | { 'changed deps': Record<string, ChangeWord | Record<string, ChangeWord>> }
  | { 'changed outs': Record<string, ChangeWord> }
  | 'always changed'
  | 'changed checksum'
  | 'changed command';

export interface StageStatusOptions {
  /** Ignore outputs that are deleted or not in cache, and deleted deps (repro --allow-missing). */
  allowMissing?: boolean;
  /** Stop at the first change found (repro only needs a yes/no). */
  shortCircuit?: boolean;
  /** The external dependencies' statuses (externalDependencyStatuses); unchanged if absent. */
  external?: ExternalStatuses;
  /** Where the command runs (repo-relative): paths are named relative to it, as DVC names them. */
  cwdRel?: string;
}

/** The status of one dependency; undefined when unchanged. */
export function dependencyStatus(
  repo: Repo,
  dep: Dependency,
  external?: ExternalStatuses,
): ChangeWord | Record<string, ChangeWord> | undefined {
  if (dep.params !== undefined) return paramsStatus(repo, dep);
  // URLs and paths outside the repository, looked at beforehand (see externalDeps.ts)
  if (dep.repoPath === undefined) return external?.get(dep);
  const recorded = dep.recorded.hash;
  const now = hashPath(
    repo.hashContext,
    repo.abs(dep.repoPath),
    dep.repoPath,
    hashNameFor(dep.recorded),
    { listing: false },
  );
  if (now === undefined) return 'deleted';
  if (recorded === undefined || now.hash !== recorded.value) return 'modified';
  return undefined;
}

/** Stage-level change: "changed checksum" / "changed command" / "always changed". */
function stageLevelStatus(
  stage: Stage,
  dvcFile: DvcFile | undefined,
  lockCmd: string | string[] | undefined,
): StatusItem | undefined {
  if (stage.props.alwaysChanged || stage.isCallback) return 'always changed';
  if (stage.kind === 'pipeline') {
    if (lockCmd !== undefined && JSON.stringify(lockCmd) !== JSON.stringify(stage.cmd)) {
      return 'changed command';
    }
    return undefined;
  }
  if (dvcFile === undefined) return undefined;
  const recorded = stage.props.md5;
  if (stage.kind === 'data') return recorded !== undefined ? 'changed checksum' : undefined;
  const computed = computeStageMd5(dvcFile.data);
  return recorded !== computed ? 'changed checksum' : undefined;
}

/** DVC's status of one stage: an empty list when nothing changed. */
export function stageStatus(
  repo: Repo,
  index: StageIndex,
  stage: Stage,
  options: StageStatusOptions = {},
): StatusItem[] {
  const items: StatusItem[] = [];
  // A repo import is frozen, yet says when its upstream moved ("update available"), as DVC does.
  const repoDeps = stage.deps.filter((d) => d.repo !== undefined);
  if (stage.frozen && repoDeps.length > 0) {
    const deps: Record<string, ChangeWord> = {};
    for (const dep of repoDeps) {
      if (repoDependencyStatus(repo, dep) !== undefined) {
        deps[repoDependencyName(dep)] = 'update available';
      }
    }
    if (Object.keys(deps).length > 0) {
      if (options.shortCircuit === true) return [{ 'changed deps': deps }];
      items.push({ 'changed deps': deps });
    }
  }
  const cwdRel = options.cwdRel ?? '';
  if (!stage.frozen) {
    const deps: Record<string, ChangeWord | Record<string, ChangeWord>> = {};
    // As DVC lists them: the paths, then the params files.
    const ordered = [
      ...stage.deps.filter((d) => d.params === undefined),
      ...stage.deps.filter((d) => d.params !== undefined),
    ];
    for (const dep of ordered) {
      if (dep.repo !== undefined) {
        if (repoDependencyStatus(repo, dep) !== undefined) {
          deps[repoDependencyName(dep)] = 'update available';
        }
        continue;
      }
      const status = dependencyStatus(repo, dep, options.external);
      if (status === undefined) continue;
      if (status === 'deleted' && options.allowMissing === true) continue;
      deps[dep.repoPath === undefined ? dep.path : relativeTo(cwdRel, dep.repoPath)] = status;
      if (options.shortCircuit === true) return [{ 'changed deps': deps }];
    }
    if (Object.keys(deps).length > 0) items.push({ 'changed deps': deps });
  }
  const outs: Record<string, ChangeWord> = {};
  for (const out of stage.outs) {
    const status = outputStatus(repo, out);
    if (status === undefined) continue;
    if (options.allowMissing === true && (status === 'deleted' || status === 'not in cache'))
      continue;
    outs[relativeTo(cwdRel, out.repoPath)] = status;
    if (options.shortCircuit === true) return [{ 'changed outs': outs }];
  }
  if (Object.keys(outs).length > 0) items.push({ 'changed outs': outs });
  const level = stageLevelStatus(stage, index.dvcFiles.get(stage.file), lockCmdOf(index, stage));
  if (level !== undefined) items.push(level);
  return items;
}

function lockCmdOf(index: StageIndex, stage: Stage): string | string[] | undefined {
  if (stage.kind !== 'pipeline') return undefined;
  const file = index.pipelineFiles.get(stage.file);
  return file?.lockedCmd(stage.name ?? '');
}

/**
 * `sluice status` (local part): address -> items, only for stages that changed. The sources of
 * external dependencies (URLs, paths outside the repository) are looked at too.
 */
export async function repoStatus(
  repo: Repo,
  index: StageIndex,
  stages: Stage[],
  cwdRel: string,
): Promise<Record<string, StatusItem[]>> {
  const external = await externalDependencyStatuses(repo, stages);
  const result: Record<string, StatusItem[]> = {};
  for (const stage of stages) {
    const items = stageStatus(repo, index, stage, { external, cwdRel });
    if (items.length > 0) result[stage.address(cwdRel)] = items;
  }
  return result;
}

/** Params dependency status (doc 3.5): per-key new/deleted/modified, or the whole file's. */
export function paramsStatus(
  repo: Repo,
  dep: Dependency,
): ChangeWord | Record<string, ChangeWord> | undefined {
  if (dep.params === undefined || dep.repoPath === undefined) return undefined;
  let tree: Record<string, unknown> | undefined;
  const abs = repo.abs(dep.repoPath);
  repo.observer.onRead(abs);
  try {
    tree = parseParamsFile(dep.repoPath, readFileSync(abs, 'utf8'));
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    tree = undefined;
  }
  const status = paramsDepStatus(dep.params.recorded, tree, dep.params.keys);
  if (typeof status === 'string') return status;
  return Object.keys(status).length === 0 ? undefined : status;
}
