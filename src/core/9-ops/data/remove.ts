import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import { removeIgnoreEntry } from '../../6-repo/gitignore.js';
import { isDvcFileName } from '../../7-metafiles/dvcFile.js';
import type { Stage } from '../../7-metafiles/stage.js';
import { StageIndex } from '../../7-metafiles/stageIndex.js';
import { unsavedFilesError, unsavedUnder } from './outputState.js';
import { unprotectPath } from './unprotect.js';

export interface RemoveOptions {
  cwd: string;
  /** Also delete the outputs from the workspace. */
  outs?: boolean;
  /** With `outs`: delete files whose content is in no cache too. */
  force?: boolean;
}

/** `sluice remove`: stop tracking: delete `.dvc` files or dvc.yaml stages and their ignore entries. */
export async function remove(
  repo: Repo,
  targets: string[],
  options: RemoveOptions,
): Promise<string[]> {
  const index = StageIndex.load(repo);
  const cwdRel = repo.rel(options.cwd);
  const chosen: Stage[] = [];
  for (const target of targets) {
    const rel = repo.rel(target, options.cwd);
    const stages: Stage[] = index.dvcFiles.has(rel)
      ? [index.dvcFiles.get(rel)?.stage as Stage]
      : [];
    if (stages.length === 0) {
      if (!isDvcFileName(rel) && index.dvcFiles.has(`${rel}.dvc`)) {
        throw new SluiceError('BAD_ARGUMENTS', `'${target}' is not a .dvc file`, {
          hint: `did you mean 'sluice remove ${target}.dvc'?`,
        });
      }
      stages.push(...index.resolveTarget(target, cwdRel));
    }
    chosen.push(...stages);
  }
  // Every path is checked, and every unsaved file found, before the first change.
  const unsaved: string[] = [];
  for (const stage of chosen) {
    for (const out of stage.outs) {
      repo.workspace.resolve(out.repoPath);
      if (options.outs === true && options.force !== true) {
        unsaved.push(...unsavedUnder(repo, out, { editedOnly: false }));
      }
    }
  }
  if (unsaved.length > 0) throw unsavedFilesError(repo, unsaved);
  const removed: string[] = [];
  for (const stage of chosen) {
    for (const out of stage.outs) {
      if (out.cache) removeIgnoreEntry(repo.workspace, out.repoPath);
      if (options.outs === true) {
        repo.workspace.remove(out.repoPath, { recursive: true });
      } else if (out.cache) {
        unprotectPath(repo, out.repoPath);
      }
      repo.links.forget(out.repoPath);
    }
    if (stage.kind === 'pipeline') {
      await index.pipelineFiles.get(stage.file)?.removeStage(repo, stage.name ?? '');
    } else {
      repo.workspace.remove(stage.file);
    }
    removed.push(stage.address(cwdRel));
  }
  return removed;
}
