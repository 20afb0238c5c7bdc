import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import { Repo } from '../../6-repo/repo.js';
import { computeStageMd5, saveDvcFile } from '../../7-metafiles/dvcFile.js';
import { importedOutEntry, type EntryObject } from '../../7-metafiles/entries.js';
import type { Dependency, Stage } from '../../7-metafiles/stage.js';
import { StageIndex, stagesForTargets } from '../../7-metafiles/stageIndex.js';
import { checkout } from '../data/checkout.js';
import { assertImportTarget, assertNothingUnsaved } from '../data/outputState.js';
import {
  materialize,
  normalizeRepoPath,
  openExternalRepo,
  type ExternalRepo,
  type Materialized,
} from './externalRepo.js';
import { ignoreOutputs } from '../data/ignoreOutputs.js';
import { repoInfoOf, stringField } from '../pipeline/repoDependency.js';

/** `sluice import` / `sluice get` / `sluice update` of data that lives in another git repo. */

const DEFAULT_JOBS = 8;

export interface FromRepoOptions {
  cwd: string;
  out?: string;
  rev?: string;
  force?: boolean;
  jobs?: number;
}

export interface ImportRepoOptions extends FromRepoOptions {
  noExec?: boolean;
  noDownload?: boolean;
}

export interface ImportRepoResult {
  dvcFile: string;
  out: string;
  /** Files git should track. */
  gitFiles: string[];
}

/** The default name of what is downloaded: the path's last part (the repo's name for '.'). */
function defaultOutName(url: string, path: string): string {
  const normal = normalizeRepoPath(path);
  if (normal !== '') return posix.basename(normal);
  const last =
    url
      .replace(/[/\\]+$/, '')
      .split(/[/\\:]/)
      .pop() ?? 'repo';
  return last.replace(/\.git$/, '') || 'repo';
}

function clonesDir(repo: Repo): string {
  return join(repo.tmpDir, 'sluice', 'clones');
}

/** `sluice import URL PATH`: a frozen `.dvc` file whose dep names the repo and its commit. */
export async function importRepo(
  repo: Repo,
  url: string,
  path: string,
  options: ImportRepoOptions,
): Promise<ImportRepoResult> {
  const outAbs = resolve(options.cwd, options.out ?? defaultOutName(url, path));
  const outRel = repo.rel(outAbs);
  if (outRel === '') {
    throw new SluiceError('BAD_PATH', 'cannot import into the root of the repository', {
      hint: 'name the output with -o',
    });
  }
  const dvcFile = `${outRel}.dvc`;
  if (existsSync(repo.abs(dvcFile)) && options.force !== true) {
    throw new SluiceError('ALREADY_EXISTS', `'${dvcFile}' already exists`, {
      hint: 'use -f to overwrite it',
    });
  }
  assertImportTarget(repo, outRel, options.force === true);
  const outPath = posix.basename(outRel);
  const repoInfo: EntryObject = { url };
  if (options.rev !== undefined) repoInfo.rev = options.rev;
  let data: EntryObject;
  let materialized: Materialized | undefined;
  if (options.noExec === true) {
    data = {
      frozen: true,
      deps: [{ path, repo: repoInfo }],
      outs: [importedOutEntry(outPath, undefined)],
    };
  } else {
    const ext = await openExternalRepo(url, options.rev, options.cwd, clonesDir(repo));
    try {
      repoInfo.rev_lock = ext.sha;
      if (options.noDownload !== true) {
        materialized = await materialize(repo, ext, path, options.jobs ?? DEFAULT_JOBS);
      }
    } finally {
      ext.close();
    }
    const body: EntryObject = {
      frozen: true,
      deps: [{ path, repo: repoInfo }],
      outs: [importedOutEntry(outPath, materialized)],
    };
    data = { md5: computeStageMd5(body), ...body };
  }
  await saveDvcFile(repo, dvcFile, data);
  const gitFiles = [dvcFile, ...(await ignoreOutputs(repo, [outRel]))];
  if (materialized !== undefined) checkoutOrThrow(repo, dvcFile, outRel, true);
  return { dvcFile, out: outRel, gitFiles };
}

function checkoutOrThrow(repo: Repo, dvcFile: string, outRel: string, force: boolean): void {
  const result = checkout(repo, [dvcFile], { cwd: repo.root, force });
  if (result.failed.length > 0) {
    throw new SluiceError('FAILED', `could not check out '${outRel}'`, {
      hint: result.failed.map((f) => f.reason).join('; '),
    });
  }
}

/**
 * `sluice update` of a repo import: resolves the revision again and, when the commit moved (or
 * nothing was downloaded yet), re-imports at the new commit.
 */
export async function updateRepoImport(
  repo: Repo,
  dvcFile: string,
  parsed: EntryObject,
  text: string,
  options: { rev?: string; noDownload?: boolean; jobs?: number },
): Promise<{ changed: boolean }> {
  const dep = (parsed.deps as EntryObject[])[0];
  const out = (parsed.outs as EntryObject[])[0];
  const info = repoInfoOf(dep) ?? {};
  const url = stringField(info, 'url');
  if (url === undefined || typeof dep.path !== 'string' || typeof out.path !== 'string') {
    throw new SluiceError('BAD_DVCFILE', `'${dvcFile}': the import has no repository url`);
  }
  const rev = options.rev ?? stringField(info, 'rev');
  const ext = await openExternalRepo(url, rev, repo.root, clonesDir(repo));
  let materialized: Materialized | undefined;
  try {
    const download = options.noDownload !== true;
    const sameCommit = info.rev_lock === ext.sha && rev === stringField(info, 'rev');
    const haveOut = typeof out.md5 === 'string';
    if (sameCommit && (haveOut || !download)) return { changed: false };
    if (download) materialized = await materialize(repo, ext, dep.path, options.jobs ?? 8);
  } finally {
    ext.close();
  }
  const newInfo: EntryObject = { ...info };
  if (rev !== undefined) newInfo.rev = rev;
  newInfo.rev_lock = ext.sha;
  const newOut: EntryObject = { ...out };
  for (const key of ['md5', 'size', 'nfiles']) delete newOut[key];
  if (materialized !== undefined) {
    newOut.md5 = materialized.hash;
    newOut.size = materialized.size;
    if (materialized.nfiles !== undefined) newOut.nfiles = materialized.nfiles;
  }
  const body: EntryObject = { ...parsed, deps: [{ ...dep, repo: newInfo }], outs: [newOut] };
  const { md5: _old, ...rest } = body;
  const md5 = computeStageMd5(rest);
  const data: EntryObject = 'md5' in parsed ? { ...body, md5 } : { ...rest, md5 };
  // An import edited by hand since it was imported is not replaced (nor its record moved on).
  const outRel = posix.join(posix.dirname(dvcFile), out.path);
  if (materialized !== undefined) assertNothingUnsaved(repo, outRel, out);
  await saveDvcFile(repo, dvcFile, data, text);
  if (materialized !== undefined) {
    checkoutOrThrow(repo, dvcFile, posix.join(posix.dirname(dvcFile), out.path), false);
  }
  return { changed: true };
}

/**
 * DVC's status of a repo dependency: "update available" when its revision names another commit
 * upstream than the one recorded. An unreachable upstream says nothing.
 */
/**
 * `fetch`/`pull` of repo imports: the recorded output of each import whose data the cache lacks
 * is downloaded again from its repository at `rev_lock` (its cache or its default remote).
 * Returns the number of objects downloaded.
 */
export async function fetchRepoImports(
  repo: Repo,
  options: { targets?: string[]; cwd: string; jobs?: number },
): Promise<{
  /** Repo-import stages among the targets. */
  stages: number;
  transferred: number;
  failed: Array<{ path: string; reason: string }>;
}> {
  const index = StageIndex.load(repo);
  const stages = stagesForTargets(index, options.targets ?? [], repo.rel(options.cwd));
  const result = {
    stages: 0,
    transferred: 0,
    failed: [] as Array<{ path: string; reason: string }>,
  };
  for (const stage of stages) {
    if (stage.deps.some((d) => d.repo !== undefined)) result.stages += 1;
    const todo = importNeedingData(repo, stage);
    if (todo === undefined) continue;
    const { dep, url, rev, oid, outPath } = todo;
    let ext: ExternalRepo | undefined;
    try {
      ext = await openExternalRepo(url, rev, repo.root, clonesDir(repo));
      const got = await materialize(repo, ext, dep.path, options.jobs ?? DEFAULT_JOBS);
      if (got.hash !== oid) {
        result.failed.push({
          path: outPath,
          reason: `'${dep.path}' at ${rev} hashes to ${got.hash}, not ${oid}`,
        });
        continue;
      }
      result.transferred += got.files.length + (got.isDir ? 1 : 0);
    } catch (error) {
      result.failed.push({
        path: outPath,
        reason: error instanceof Error ? error.message : String(error),
      });
    } finally {
      ext?.close();
    }
  }
  return result;
}

function importNeedingData(
  repo: Repo,
  stage: Stage,
): { dep: Dependency; url: string; rev: string; oid: string; outPath: string } | undefined {
  if (stage.kind !== 'import' || stage.deps.length !== 1 || stage.outs.length !== 1) {
    return undefined;
  }
  const dep = stage.deps[0];
  const out = stage.outs[0];
  const info = repoInfoOf(dep);
  const hash = out.recorded.hash;
  if (info === undefined || hash === undefined) return undefined;
  const url = stringField(info, 'url');
  const rev = stringField(info, 'rev_lock') ?? stringField(info, 'rev');
  if (url === undefined || rev === undefined) return undefined;
  const complete =
    repo.odb.exists(hash.value, hash.name) &&
    (!hash.value.endsWith('.dir') ||
      (repo.odb.readDir(hash.value, hash.name) ?? []).every((e) =>
        repo.odb.exists(e.md5, hash.name),
      ));
  if (complete) return undefined;
  return { dep, url, rev, oid: hash.value, outPath: out.repoPath };
}

/** `sluice get URL PATH`: downloads the data into OUT without tracking it. */
export async function getFromRepo(
  url: string,
  path: string,
  options: FromRepoOptions,
): Promise<{ out: string }> {
  const outAbs = resolve(options.cwd, options.out ?? defaultOutName(url, path));
  if (existsSync(outAbs) && options.force !== true) {
    throw new SluiceError('ALREADY_EXISTS', `'${outAbs}' already exists`, {
      hint: 'use -f to overwrite it, or -o to choose another name',
    });
  }
  // A throwaway cache: `get` leaves nothing behind but the files.
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-get-'));
  try {
    mkdirSync(join(scratch, '.dvc'));
    const cacheRepo = await Repo.open(scratch);
    const ext = await openExternalRepo(url, options.rev, options.cwd, scratch);
    let got: Materialized;
    try {
      got = await materialize(cacheRepo, ext, path, options.jobs ?? DEFAULT_JOBS);
    } finally {
      ext.close();
    }
    rmSync(outAbs, { recursive: true, force: true });
    for (const file of got.files) {
      const target = got.isDir ? join(outAbs, ...file.relpath.split('/')) : outAbs;
      mkdirSync(dirname(target), { recursive: true });
      const temp = tempNameFor(target);
      copyFileSync(cacheRepo.odb.oidPath(file.md5), temp);
      chmodSync(temp, 0o644);
      renameSync(temp, target);
    }
    if (got.isDir && got.files.length === 0) mkdirSync(outAbs, { recursive: true });
    return { out: outAbs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
