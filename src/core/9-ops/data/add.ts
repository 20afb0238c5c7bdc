import { existsSync, lstatSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { errnoCode, SluiceError } from '../../1-base/errors.js';
import { workspacePathProblem } from '../../5-workspace/guardedWorkspace.js';
import type { Repo } from '../../6-repo/repo.js';
import { addIgnoreEntry } from '../../6-repo/gitignore.js';
import {
  newEntry,
  readRecordedState,
  writeStateInto,
  type EntryObject,
} from '../../7-metafiles/entries.js';
import { EXEC_MODE } from '../../3-objects/link.js';
import { dirObjectHash, serializeDirObject } from '../../3-objects/dirObject.js';
import type { HashName } from '../../3-objects/hashFile.js';
import {
  DVC_FILE_SUFFIX,
  loadDvcFile,
  newDataFileData,
  saveDvcFile,
} from '../../7-metafiles/dvcFile.js';
import { isInside, StageIndex } from '../../7-metafiles/stageIndex.js';
import type { Output, RecordedState } from '../../7-metafiles/stage.js';
import { hashPath } from '../../5-workspace/hashPath.js';
import { hashAndCache, isSymlinkedAncestor, stateFromHash, storeInCache } from './outputState.js';

export interface AddOptions {
  cwd: string;
  /** Record hashes without putting the data into the cache. */
  noCommit?: boolean;
  /** Copy the single target to this path in the repo and track it there. */
  out?: string;
  onProgress?: (event: { path: string; phase: 'hashing' | 'caching' | 'done' }) => void;
}

export interface AddResult {
  /** Repo-relative paths of the `.dvc` files written. */
  dvcFiles: string[];
  /** Files that git should now track (`.dvc` files and `.gitignore`s). */
  gitFiles: string[];
}

/** `sluice add`: track files and folders in the cache with a `.dvc` file beside each. */
export async function add(repo: Repo, targets: string[], options: AddOptions): Promise<AddResult> {
  if (targets.length === 0) {
    throw new SluiceError('BAD_ARGUMENTS', 'nothing to add: name at least one file or folder');
  }
  if (options.out !== undefined && targets.length !== 1) {
    throw new SluiceError('BAD_ARGUMENTS', '--out can only be used with a single target');
  }
  const index = StageIndex.load(repo);
  const paths = targets.map((target) => {
    if (options.out !== undefined) {
      const source = resolve(options.cwd, target);
      const dest = repo.rel(options.out, options.cwd);
      if (!existsSync(source)) throw missing(target, source);
      repo.workspace.copyIn(source, dest);
      return dest;
    }
    return checkTarget(repo, target, options.cwd);
  });
  await checkNotTrackedByGit(repo, paths);
  const result: AddResult = { dvcFiles: [], gitFiles: [] };
  for (const repoPath of paths) {
    const dvcFile = await addOne(repo, index, repoPath, options);
    result.dvcFiles.push(dvcFile);
    result.gitFiles.push(dvcFile);
  }
  const ignored = repo.git === null ? new Set<string>() : await repo.git.isIgnored(paths);
  for (const repoPath of paths) {
    if (ignored.has(repoPath)) continue;
    const gitignore = addIgnoreEntry(repo.workspace, repoPath);
    if (gitignore !== undefined && !result.gitFiles.includes(gitignore))
      result.gitFiles.push(gitignore);
  }
  return result;
}

function missing(target: string, abs: string): SluiceError {
  return new SluiceError(
    'NOT_FOUND',
    `output '${target}' does not exist: [Errno 2] No such file or directory: '${abs}'`,
  );
}

function checkTarget(repo: Repo, target: string, cwd: string): string {
  const abs = resolve(cwd, target);
  let repoPath: string;
  try {
    repoPath = repo.rel(abs);
  } catch {
    throw new SluiceError('BAD_PATH', `cached output(s) outside of the repository: ${abs}`, {
      hint: 'use `sluice add PATH -o OUT` to copy it in, or `sluice import-url`',
    });
  }
  if (workspacePathProblem(repoPath) !== undefined) {
    throw new SluiceError(
      'BAD_PATH',
      `cannot add '${target}': it is part of the repository's own metadata`,
    );
  }
  if (isSymlinkedAncestor(repo, repoPath)) {
    throw new SluiceError(
      'BAD_PATH',
      `cannot add '${target}': files inside symlinked directories cannot be tracked`,
      {
        hint: 'add the real folder the link points to instead',
      },
    );
  }
  try {
    lstatSync(abs);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw missing(target, abs);
    throw error;
  }
  if (
    repoPath.endsWith(DVC_FILE_SUFFIX) ||
    posix.basename(repoPath) === 'dvc.yaml' ||
    posix.basename(repoPath) === 'dvc.lock'
  ) {
    throw new SluiceError('BAD_PATH', `cannot add '${target}': it is a Sluice/DVC metafile`);
  }
  return repoPath;
}

async function checkNotTrackedByGit(repo: Repo, paths: string[]): Promise<void> {
  if (repo.git === null) return;
  const tracked = await repo.git.isTracked(paths);
  for (const path of paths) {
    if (tracked.has(path)) {
      throw new SluiceError('FAILED', `output '${path}' is already tracked by SCM (e.g. Git)`, {
        hint: `stop tracking it with git first: git rm -r --cached '${path}' && git commit -m "stop tracking ${path}"`,
      });
    }
  }
}

async function addOne(
  repo: Repo,
  index: StageIndex,
  repoPath: string,
  options: AddOptions,
): Promise<string> {
  const dvcFilePath = `${repoPath}${DVC_FILE_SUFFIX}`;
  for (const other of index.overlappingOutputs(repoPath)) {
    if (other.stage.file === dvcFilePath && other.repoPath === repoPath) continue;
    if (other.stage.kind === 'pipeline' || other.stage.kind === 'single') {
      throw new SluiceError(
        'OUTPUT_OVERLAP',
        `cannot update '${repoPath}': overlaps with an output of stage '${other.stage.address()}'`,
        { hint: 'run `sluice commit` or `sluice repro` for that stage instead' },
      );
    }
    if (isInside(other.repoPath, repoPath)) {
      throw new SluiceError(
        'OUTPUT_OVERLAP',
        `cannot add '${repoPath}', because it is overlapping with other tracked output: '${other.repoPath}'`,
        {
          hint: `to include '${other.repoPath}' in '${repoPath}', run 'sluice remove ${other.stage.file}' and then 'sluice add ${repoPath}'`,
        },
      );
    }
    return addInsideTrackedFolder(repo, index, other, repoPath, options);
  }

  options.onProgress?.({ path: repoPath, phase: 'hashing' });
  const existing = existsSync(repo.abs(dvcFilePath)) ? loadDvcFile(repo, dvcFilePath) : undefined;
  const outPath = posix.basename(repoPath);
  const existingEntry =
    existing?.stage.kind === 'data'
      ? existing.outEntries.find((e) => e.path === outPath)
      : undefined;
  const state = await hashAndStore(repo, repoPath, existingEntry, options);
  if (existing !== undefined && existingEntry !== undefined) {
    writeStateInto(existingEntry, state);
    await saveDvcFile(repo, dvcFilePath, existing.data, existing.text);
  } else {
    await saveDvcFile(repo, dvcFilePath, newDataFileData(newEntry(outPath, state)));
  }
  // Later targets of the same call see this output (adding `dir` and `dir/x` together fails).
  index.addDvcFile(loadDvcFile(repo, dvcFilePath));
  options.onProgress?.({ path: repoPath, phase: 'done' });
  return dvcFilePath;
}

/**
 * Hashes a path and puts it in the cache. An unchanged legacy (2.x, md5-dos2unix) entry keeps
 * its legacy hash and cache location, as DVC does; anything else gets a 3.x md5.
 */
async function hashAndStore(
  repo: Repo,
  repoPath: string,
  existingEntry: EntryObject | undefined,
  options: AddOptions,
): Promise<RecordedState> {
  const abs = repo.abs(repoPath);
  const recorded = existingEntry === undefined ? undefined : readRecordedState(existingEntry);
  let name: HashName = 'md5';
  let now = undefined as ReturnType<typeof hashPath>;
  if (recorded?.hash?.name === 'md5-dos2unix') {
    const legacy = hashPath(repo.hashContext, abs, repoPath, 'md5-dos2unix');
    if (legacy !== undefined && legacy.hash === recorded.hash.value) {
      now = legacy;
      name = 'md5-dos2unix';
    }
  }
  const commit = options.noCommit !== true;
  if (now === undefined) {
    now = commit
      ? await hashAndCache(repo, abs, repoPath)
      : hashPath(repo.hashContext, abs, repoPath, 'md5');
  } else if (commit) {
    storeInCache(repo, now, abs, name);
  }
  if (now === undefined) throw missing(repoPath, abs);
  const state = stateFromHash(now, name);
  if (commit) {
    options.onProgress?.({ path: repoPath, phase: 'caching' });
    relinkAfterAdd(repo, repoPath, now.hash, now.isDir, state.isexec === true, name);
    if (now.isDir) repo.links.recordDir(repoPath, now.hash);
    else repo.links.recordFile(repoPath, abs);
  }
  return state;
}

/**
 * DVC 3's granular add: `add dir/file` when `dir` is tracked updates only that file's entry in
 * the folder's listing; other changes inside the folder keep their recorded hashes.
 */
async function addInsideTrackedFolder(
  repo: Repo,
  index: StageIndex,
  folder: Output,
  repoPath: string,
  options: AddOptions,
): Promise<string> {
  const dvcFile = index.dvcFiles.get(folder.stage.file);
  const recorded = folder.recorded.hash;
  if (dvcFile === undefined || recorded === undefined || !recorded.value.endsWith('.dir')) {
    throw new SluiceError(
      'OUTPUT_OVERLAP',
      `cannot add '${repoPath}': it is inside the tracked output '${folder.repoPath}'`,
      {
        hint: `re-add the whole folder: sluice add ${folder.repoPath}`,
      },
    );
  }
  const entries = repo.odb.readDir(recorded.value, recorded.name);
  if (entries === undefined) {
    throw new SluiceError(
      'MISSING_CACHE',
      `the listing of '${folder.repoPath}' is not in the cache`,
      {
        hint: `re-add the whole folder: sluice add ${folder.repoPath}`,
      },
    );
  }
  const abs = repo.abs(repoPath);
  const now = hashPath(repo.hashContext, abs, repoPath, recorded.name);
  if (now === undefined) throw missing(repoPath, abs);
  const prefix = repoPath.slice(folder.repoPath.length + 1);
  const files = now.isDir
    ? (now.files ?? []).map((f) => ({ relpath: `${prefix}/${f.relpath}`, md5: f.md5 }))
    : [{ relpath: prefix, md5: now.hash }];
  if (options.noCommit !== true) storeInCache(repo, now, abs, recorded.name);
  const sizeOf = (md5: string): number => {
    try {
      return statSync(repo.odb.oidPath(md5, recorded.name)).size;
    } catch {
      return 0;
    }
  };
  const replaced = new Set(files.map((f) => f.relpath));
  const kept = entries.filter(
    (e) => !replaced.has(e.relpath) && !e.relpath.startsWith(`${prefix}/`),
  );
  const merged = [...kept, ...files];
  const listing = serializeDirObject(merged);
  const oid = dirObjectHash(listing);
  repo.odb.addBytes(oid, listing, recorded.name);
  const size = merged.reduce((sum, e) => sum + sizeOf(e.md5), 0);
  const entry = dvcFile.outEntries[dvcFile.stage.outs.indexOf(folder)];
  if (entry === undefined)
    throw new SluiceError('FAILED', `cannot find '${folder.path}' in '${folder.stage.file}'`);
  writeStateInto(entry, { hash: { name: recorded.name, value: oid }, size, nfiles: merged.length });
  dvcFile.text = await saveDvcFile(repo, folder.stage.file, dvcFile.data, dvcFile.text);
  folder.recorded = readRecordedState(entry);
  options.onProgress?.({ path: repoPath, phase: 'done' });
  return folder.stage.file;
}

/**
 * After caching, the workspace copy is replaced by a link of the configured type. With copy
 * (and reflink falling back to copy) the file is identical already and is left alone.
 */
function relinkAfterAdd(
  repo: Repo,
  repoPath: string,
  oid: string,
  isDir: boolean,
  isexec: boolean,
  name: HashName,
): void {
  const preferred = repo.linker.preferred;
  const ws = repo.workspace;
  if (preferred === 'copy' || preferred === 'reflink') {
    // The copy stays; DVC leaves an executable as 0644 plus the owner's exec bit.
    if (!isDir && isexec) ws.chmod(repoPath, EXEC_MODE);
    return;
  }
  if (!isDir) {
    const abs = ws.placeObject(repo.linker, repo.odb.oidPath(oid, name), repoPath, isexec);
    repo.hashCache.set(repoPath, statSync(abs), oid, name);
    return;
  }
  const entries = repo.odb.readDir(oid, name) ?? [];
  for (const entry of entries) {
    const target = `${repoPath}/${entry.relpath}`;
    const abs = ws.placeObject(repo.linker, repo.odb.oidPath(entry.md5, name), target, false);
    repo.hashCache.set(target, statSync(abs), entry.md5, name);
  }
}
