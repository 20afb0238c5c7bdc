import { readFileSync } from 'node:fs';
import { errnoCode } from '../../1-base/errors.js';
import { paramsDepStatus, parseParamsFile } from '../../7-metafiles/paramsFile.js';
import type { Repo } from '../../6-repo/repo.js';
import type { Dependency } from '../../7-metafiles/stage.js';
import type { ChangeWord } from './stageStatus.js';

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
