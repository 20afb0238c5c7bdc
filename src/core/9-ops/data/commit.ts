import type { Repo } from '../../6-repo/repo.js';
import { saveDvcFile, syncRecordedState } from '../../7-metafiles/dvcFile.js';
import type { Stage } from '../../7-metafiles/stage.js';
import { StageIndex, stagesForTargets } from '../../7-metafiles/stageIndex.js';
import { dependencyState, saveOutput } from './outputState.js';
import { isRunCacheable, saveStageRun } from '../pipeline/runCache.js';
import { stageStatus } from '../pipeline/stageStatus.js';
import { SluiceError } from '../../1-base/errors.js';

export interface CommitOptions {
  cwd: string;
  force?: boolean;
}

/**
 * Records the current workspace state of stages' deps and outs, and stores the outputs in the
 * cache. Without `force`, a stage whose deps or outs changed needs confirmation (an error here).
 */
export async function commit(
  repo: Repo,
  targets: string[],
  options: CommitOptions,
): Promise<{ committed: string[]; files: string[] }> {
  const index = StageIndex.load(repo);
  const cwdRel = repo.rel(options.cwd);
  const stages = stagesForTargets(index, targets, cwdRel);
  const committed: string[] = [];
  const files = new Set<string>();
  for (const stage of stages) {
    // With -f every targeted stage is saved again (filling in fields older files lack).
    const changes = stageStatus(repo, index, stage);
    if (changes.length === 0 && options.force !== true) continue;
    if (options.force !== true && stage.kind !== 'data') {
      throw new SluiceError(
        'FAILED',
        `dependencies or outputs of stage '${stage.address(cwdRel)}' changed`,
        { hint: 'use `sluice commit -f` to commit them anyway' },
      );
    }
    const written = await commitStage(repo, index, stage);
    if (written !== undefined) files.add(written);
    committed.push(stage.address(cwdRel));
  }
  return { committed, files: [...files] };
}

/**
 * Saves one stage's deps/outs state into its metafile and its outputs into the cache.
 * Returns the repo-relative metafile written (undefined when a lock entry was already so).
 */
export async function commitStage(
  repo: Repo,
  index: StageIndex,
  stage: Stage,
): Promise<string | undefined> {
  for (const dep of stage.deps) {
    if (dep.repoPath === undefined || dep.params !== undefined) continue;
    const now = dependencyState(repo, dep.repoPath, dep.recorded);
    if (now !== undefined) dep.recorded = now;
  }
  for (const out of stage.outs) out.recorded = await saveOutput(repo, out, { commit: true });
  if (stage.kind === 'pipeline') {
    const pipeline = index.pipelineFiles.get(stage.file);
    if (pipeline === undefined) return undefined;
    const { path, changed } = await pipeline.writeLock(repo, [stage]);
    // DVC saves the run of a committed stage, as if it had just run.
    if (isRunCacheable(stage)) saveStageRun(repo, stage);
    return changed ? path : undefined;
  }
  const dvcFile = index.dvcFiles.get(stage.file);
  if (dvcFile === undefined) return stage.file;
  syncRecordedState(dvcFile);
  const before = dvcFile.text;
  dvcFile.text = await saveDvcFile(repo, stage.file, dvcFile.data, dvcFile.text);
  return dvcFile.text === before ? undefined : stage.file;
}
