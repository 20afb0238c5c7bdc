import { existsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import { addIgnoreEntry, removeIgnoreEntry } from '../../6-repo/gitignore.js';
import { DVC_FILE_SUFFIX, saveDvcFile } from '../../7-metafiles/dvcFile.js';
import { StageIndex } from '../../7-metafiles/stageIndex.js';

/** `sluice move`: rename a tracked data source, its `.dvc` file and its ignore entry. */
export async function move(repo: Repo, src: string, dst: string, cwd: string): Promise<string[]> {
  const index = StageIndex.load(repo);
  const srcRel = repo.rel(src, cwd);
  let dstRel = repo.rel(dst, cwd);
  const out = index.outputAt(srcRel);
  if (out === undefined) {
    throw new SluiceError('NOT_FOUND', `'${src}' is not a tracked output`, {
      hint: 'move works for data added with `sluice add` or imported',
    });
  }
  if (out.stage.kind !== 'data' && out.stage.kind !== 'import') {
    throw new SluiceError(
      'FAILED',
      `cannot move '${src}': it is an output of stage '${out.stage.address()}'`,
      {
        hint: 'change the stage definition and run `sluice repro` instead',
      },
    );
  }
  if (existsSync(repo.abs(dstRel)) && statSync(repo.abs(dstRel)).isDirectory()) {
    dstRel = dstRel === '' ? posix.basename(srcRel) : `${dstRel}/${posix.basename(srcRel)}`;
  }
  const dvcFile = index.dvcFiles.get(out.stage.file);
  if (dvcFile === undefined) throw new SluiceError('NOT_FOUND', `'${out.stage.file}' is missing`);
  const oldFile = out.stage.file;
  const renameFile = oldFile === `${srcRel}${DVC_FILE_SUFFIX}`;
  const newFile = renameFile ? `${dstRel}${DVC_FILE_SUFFIX}` : oldFile;
  const newDir = posix.dirname(newFile) === '.' ? '' : posix.dirname(newFile);
  const entryIndex = dvcFile.stage.outs.indexOf(out);
  const entry = dvcFile.outEntries[entryIndex];
  if (entry === undefined) throw new SluiceError('FAILED', `cannot find '${src}' in '${oldFile}'`);
  entry.path = newDir === '' ? dstRel : posix.relative(newDir, dstRel);

  // Both ends are checked, and an existing destination is never replaced, before anything moves.
  if (repo.workspace.lstat(srcRel) === undefined) {
    throw new SluiceError('NOT_FOUND', `cannot move '${src}': it does not exist in the workspace`, {
      hint: 'check it out first with `sluice checkout`',
    });
  }
  repo.workspace.resolve(dstRel);
  // A path git tracks is git's to move (a metafile that names one as an output is wrong).
  if (repo.git !== null && (await repo.git.isTracked([srcRel])).size > 0) {
    throw new SluiceError('FAILED', `output '${srcRel}' is already tracked by SCM (e.g. Git)`, {
      hint: `move it with git (git mv), or stop tracking it with git first: git rm -r --cached '${srcRel}'`,
    });
  }
  if (repo.workspace.lstat(dstRel) !== undefined) {
    throw new SluiceError('ALREADY_EXISTS', `cannot move '${src}': '${dst}' already exists`, {
      hint: 'move or remove the destination first, or choose another name',
    });
  }
  const dstFolder = posix.dirname(dstRel);
  if (dstFolder !== '.') repo.workspace.mkdir(dstFolder);
  repo.workspace.rename(srcRel, dstRel);
  await saveDvcFile(repo, newFile, dvcFile.data, dvcFile.text);
  if (renameFile) repo.workspace.remove(oldFile);
  const changed = [newFile];
  const removedIgnore = removeIgnoreEntry(repo.workspace, srcRel);
  if (removedIgnore !== undefined) changed.push(removedIgnore);
  const ignored = repo.git === null ? new Set<string>() : await repo.git.isIgnored([dstRel]);
  if (!ignored.has(dstRel)) {
    const added = addIgnoreEntry(repo.workspace, dstRel);
    if (added !== undefined && !changed.includes(added)) changed.push(added);
  }
  repo.links.forget(srcRel);
  return changed;
}
