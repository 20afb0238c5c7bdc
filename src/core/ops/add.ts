import { cpSync, existsSync, lstatSync, statSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { errnoCode, SluiceError } from '../errors.js';
import type { Repo } from '../repo/repo.js';
import { addIgnoreEntry } from '../scm/gitignore.js';
import { newEntry, writeStateInto, type EntryObject } from '../stage/entries.js';
import {
  DVC_FILE_SUFFIX,
  loadDvcFile,
  newDataFileData,
  saveDvcFile,
  type DvcFile,
} from '../stage/dvcFile.js';
import { isInside, StageIndex } from '../stage/stageIndex.js';
import { Output, Stage } from '../stage/stage.js';
import { hashPath } from '../workspace/hashPath.js';
import { isSymlinkedAncestor, stateFromHash, storeInCache } from './outputState.js';

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
      cpSync(source, repo.abs(dest), { recursive: true, force: true });
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
    const gitignore = addIgnoreEntry(repo.root, repoPath);
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
  if (
    repoPath === '' ||
    repoPath === '.dvc' ||
    repoPath.startsWith('.dvc/') ||
    repoPath === '.git' ||
    repoPath.startsWith('.git/')
  ) {
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
    throw new SluiceError(
      'OUTPUT_OVERLAP',
      `cannot add '${repoPath}': it is inside the tracked folder '${other.repoPath}'`,
      { hint: `re-add the whole folder: sluice add ${other.repoPath}` },
    );
  }

  options.onProgress?.({ path: repoPath, phase: 'hashing' });
  const abs = repo.abs(repoPath);
  const now = hashPath(repo.hashContext, abs, repoPath, 'md5');
  if (now === undefined) throw missing(repoPath, abs);
  const state = stateFromHash(now, 'md5');
  if (options.noCommit !== true) {
    options.onProgress?.({ path: repoPath, phase: 'caching' });
    storeInCache(repo, now, abs, 'md5');
    relinkAfterAdd(repo, repoPath, state.hash?.value ?? '', now.isDir, state.isexec === true);
    if (now.isDir) repo.links.recordDir(repoPath, now.hash);
    else repo.links.recordFile(repoPath, abs);
  }

  let existing: DvcFile | undefined;
  if (existsSync(repo.abs(dvcFilePath))) existing = loadDvcFile(repo, dvcFilePath);
  const outPath = posix.basename(repoPath);
  if (existing !== undefined && existing.stage.kind === 'data') {
    const entry = existing.outEntries.find((e) => e.path === outPath);
    if (entry !== undefined) {
      writeStateInto(entry, state);
      await saveDvcFile(repo, dvcFilePath, existing.data, existing.text);
      options.onProgress?.({ path: repoPath, phase: 'done' });
      return dvcFilePath;
    }
  }
  const entry: EntryObject = newEntry(outPath, state);
  await saveDvcFile(repo, dvcFilePath, newDataFileData(entry));
  options.onProgress?.({ path: repoPath, phase: 'done' });
  // keep the index coherent for later targets of the same call
  const stage = new Stage(
    'data',
    dvcFilePath,
    posix.dirname(repoPath) === '.' ? '' : posix.dirname(repoPath),
    {
      frozen: false,
      alwaysChanged: false,
    },
  );
  stage.outs.push(
    new Output(stage, outPath, repoPath, state, {
      cache: true,
      persist: false,
      kind: 'out',
      push: true,
    }),
  );
  return dvcFilePath;
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
): void {
  const preferred = repo.linker.preferred;
  if (preferred === 'copy' || preferred === 'reflink') return;
  const abs = repo.abs(repoPath);
  if (!isDir) {
    repo.linker.link(repo.odb.oidPath(oid), abs, isexec);
    repo.hashCache.set(repoPath, statSync(abs), oid);
    return;
  }
  const entries = repo.odb.readDir(oid) ?? [];
  for (const entry of entries) {
    const target = `${abs}/${entry.relpath}`;
    repo.linker.link(repo.odb.oidPath(entry.md5), target, false);
    repo.hashCache.set(`${repoPath}/${entry.relpath}`, statSync(target), entry.md5);
  }
}
