import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { dirObjectHash, parseDirObject, serializeDirObject } from '../../3-objects/dirObject.js';
import { Config } from '../../6-repo/config/index.js';
import { namedSection } from '../../6-repo/configobj.js';
import { SluiceError } from '../../1-base/errors.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import { md5Bytes, type HashName } from '../../3-objects/hashFile.js';
import { remoteKey, type UsedOutput } from '../../8-revisions/objects.js';
import { openStorage } from '../../4-storage/registry.js';
import { maskError } from '../../6-repo/remotes.js';
import { maskUrl, RemoteNotFoundError, type RemoteStorage } from '../../4-storage/storage.js';
import { fetchObjects } from '../remote/download.js';
import { withRetries } from '../remote/transfer.js';
import type { Repo } from '../../6-repo/repo.js';
import { Git } from '../../6-repo/git.js';
import { GitTree } from '../../8-revisions/gitTree.js';
import { readRecordedOutputs, type RecordedOutput } from '../../8-revisions/recordedOutputs.js';
import { GIT_SHA, cloneSource, localRepoPath } from '../../6-repo/upstream.js';

/**
 * Another git repository holding Sluice/DVC-tracked data (or plain git files), as `get` and
 * `import` read it: cloned into a temporary folder, its metafiles read at one commit, and the
 * objects of a path fetched from the repository's own cache (a local repository) or its default
 * remote, hash-verified, into a cache of ours.
 */

const run = promisify(execFile);

async function git(args: string[], cwd?: string): Promise<Buffer> {
  try {
    const { stdout } = await run('git', args, {
      cwd,
      encoding: 'buffer',
      maxBuffer: 1024 * 1024 * 1024,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8') ?? '';
    const line =
      stderr
        .split('\n')
        .map((l) => l.replace(/^(fatal|error): /, '').trim())
        .find((l) => l !== '' && !l.startsWith('Cloning into')) ??
      (error instanceof Error ? error.message : String(error));
    throw new GitFailure(line);
  }
}

class GitFailure extends Error {}

/** One file of what is to be downloaded, relative to the requested path ('' for a file). */
interface PlannedFile {
  relpath: string;
  /** Where its bytes come from: a file git tracks (its repo-relative path), or an object. */
  gitPath?: string;
  object?: { name: HashName; oid: string };
}

export interface ExternalRepo {
  url: string;
  /** The commit read. */
  sha: string;
  /** The clone (removed by `close`). */
  dir: string;
  /** The original folder, for a local repository. */
  localPath: string | undefined;
  /** Its files at the commit. */
  tree: GitTree;
  close(): void;
}

/** Clones `url` (shallow where git can) and resolves `rev` (default: its HEAD). */
export async function openExternalRepo(
  url: string,
  rev: string | undefined,
  cwd: string,
  tmpBase: string = tmpdir(),
): Promise<ExternalRepo> {
  mkdirSync(tmpBase, { recursive: true });
  const dir = mkdtempSync(join(tmpBase, 'sluice-clone-'));
  const close = (): void => rmSync(dir, { recursive: true, force: true });
  const local = localRepoPath(url, cwd);
  const source = cloneSource(url, cwd);
  try {
    if (local !== undefined && !existsSync(local)) {
      throw new GitFailure(`'${local}' does not exist`);
    }
    const base = ['clone', '--no-checkout', '--quiet'];
    if (local !== undefined) {
      // A local clone hardlinks the objects: cheap, and every ref is there.
      await git([...base, source, dir]);
    } else if (rev === undefined) {
      await git([...base, '--depth', '1', source, dir]);
    } else if (GIT_SHA.test(rev)) {
      await git([...base, source, dir]);
    } else {
      try {
        await git([...base, '--depth', '1', '--branch', rev, source, dir]);
      } catch {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
        await git([...base, source, dir]);
      }
    }
  } catch (error) {
    close();
    if (error instanceof GitFailure) {
      throw new SluiceError('SCM', `failed to clone '${maskUrl(url)}': ${error.message}`, {
        hint: 'check the URL of the repository and that git can reach it',
      });
    }
    throw error;
  }
  try {
    const sha = await resolveCloneRev(dir, rev);
    const clone = await Git.find(dir);
    if (clone === null) throw new SluiceError('SCM', `'${dir}' is not a git clone`);
    const tree = new GitTree(clone, sha);
    const closeAll = (): void => {
      void clone.close();
      close();
    };
    return { url, sha, dir, localPath: local, tree, close: closeAll };
  } catch (error) {
    close();
    throw error;
  }
}

async function resolveCloneRev(dir: string, rev: string | undefined): Promise<string> {
  const candidates = rev === undefined ? ['HEAD'] : [rev, `origin/${rev}`];
  for (const candidate of candidates) {
    try {
      const out = await git(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], dir);
      const sha = out.toString('utf8').trim();
      if (GIT_SHA.test(sha)) return sha;
    } catch {
      // try the next spelling
    }
  }
  if (rev === undefined) {
    throw new SluiceError('SCM', 'the repository has no commits', {
      hint: 'commit something in it first',
    });
  }
  throw new SluiceError('SCM', `unknown Git revision '${rev}'`, {
    hint: 'use a branch, a tag or a commit of that repository',
  });
}

/** DVC hides its own files when a repository is read as a file system: its metafiles, `.dvc/`. */
function hiddenFromRepoFs(path: string): boolean {
  const base = posix.basename(path);
  return (
    path === '.dvc' ||
    path.startsWith('.dvc/') ||
    base.endsWith('.dvc') ||
    base === 'dvc.yaml' ||
    base === '.dvcignore'
  );
}

function within(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

function relTo(path: string, dir: string): string {
  if (dir === '' || path === dir) return dir === '' ? path : '';
  return path.slice(dir.length + 1);
}

/** Normalises a path inside the other repository ('' for its root). */
export function normalizeRepoPath(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (normal === '.' || normal === '') return '';
  if (normal === '..' || normal.startsWith('../') || posix.isAbsolute(normal)) {
    throw new SluiceError('BAD_PATH', `'${path}' is outside of the repository`, {
      hint: 'give a path relative to the root of that repository',
    });
  }
  return normal;
}

/** Opens the sources of objects: the other repo's cache (local only), then its default remote. */
async function objectSources(ext: ExternalRepo): Promise<Array<() => Promise<RemoteStorage>>> {
  const sources: Array<() => Promise<RemoteStorage>> = [];
  // The config at that commit, with relative paths taken from where the repository lives.
  const dvcDir = join(ext.dir, '.dvc');
  mkdirSync(dvcDir, { recursive: true });
  let configText: Buffer | undefined;
  try {
    configText = await git(['show', `${ext.sha}:.dvc/config`], ext.dir);
  } catch {
    configText = undefined;
  }
  writeFileSync(join(dvcDir, 'config'), configText ?? '');
  const config = await Config.load(dvcDir, { validate: false });
  const home = ext.localPath === undefined ? dvcDir : join(ext.localPath, '.dvc');
  const fixPath = (value: string): string =>
    /^\w+:\/\//.test(value) || isAbsolute(value) || value.startsWith('~')
      ? value
      : resolve(home, value);
  if (ext.localPath !== undefined) {
    // Its working copy's config decides where its cache is (cache.dir may be in config.local).
    const own = await Config.load(join(ext.localPath, '.dvc'), { validate: false }).catch(
      () => undefined,
    );
    const setting = own?.get('cache', 'dir');
    const cacheDir = typeof setting === 'string' ? setting : join(ext.localPath, '.dvc', 'cache');
    if (existsSync(cacheDir)) sources.push(() => openStorage(cacheDir, {}));
  }
  const name = config.get('core', 'remote');
  if (typeof name === 'string' && name !== '') {
    const options = config.rawAt('repo')[namedSection('remote', name.toLowerCase())];
    const url = options?.url;
    if (options !== undefined && typeof url === 'string' && url !== '') {
      const resolved = fixPath(url);
      sources.push(async () => {
        try {
          return await openStorage(resolved, { ...options, url: resolved });
        } catch (error) {
          throw maskError(error, [url, resolved]);
        }
      });
    }
  }
  return sources;
}

/** A verified `.dir` listing from the first source that has it. */
async function fetchListing(
  repo: Repo,
  sources: RemoteStorage[],
  name: HashName,
  oid: string,
): Promise<void> {
  if (repo.odb.exists(oid, name)) return;
  const final = repo.odb.oidPath(oid, name);
  mkdirSync(join(final, '..'), { recursive: true });
  for (const storage of sources) {
    const temp = tempNameFor(final);
    try {
      await withRetries(() => storage.download(remoteKey(name, oid), temp));
      const data = readFileSync(temp);
      if (md5Bytes(data) + '.dir' !== oid) continue;
      parseDirObject(data, oid);
      repo.odb.addBytes(oid, data, name);
      return;
    } catch (error) {
      if (!(error instanceof RemoteNotFoundError)) throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }
}

export interface Materialized {
  /** md5 of the file, or `<md5>.dir` of the folder (its listing is in the cache). */
  hash: string;
  size: number;
  nfiles?: number;
  isDir: boolean;
  /** The files, each in the cache as an md5 object ('' relpath for a single file). */
  files: Array<{ relpath: string; md5: string }>;
}

/**
 * Puts the data of `path` at the commit into `repo`'s cache (md5 objects), and returns its hash.
 * Throws when the path is not in the repository or some of its objects cannot be found.
 */
export async function materialize(
  repo: Repo,
  ext: ExternalRepo,
  path: string,
  jobs: number,
): Promise<Materialized> {
  const target = normalizeRepoPath(path);
  const tree = await ext.tree.files();
  const outputs = (await readRecordedOutputs(ext.tree, ext.sha)).filter((o) => o.cache);
  const plan: PlannedFile[] = [];
  const dirOutputs: Array<{ out: RecordedOutput; prefix: string }> = [];
  let exactFile = false;
  const owner = outputs.find((o) => within(target, o.path) && o.path !== '');
  if (owner !== undefined) {
    // The path is an output, or inside a tracked folder.
    if (!owner.hash.value.endsWith('.dir')) {
      if (owner.path !== target) throw notFound(ext, path);
      plan.push({ relpath: '', object: { name: owner.hash.name, oid: owner.hash.value } });
      exactFile = true;
    } else {
      dirOutputs.push({ out: owner, prefix: relTo(target, owner.path) });
    }
  } else {
    for (const entry of tree) {
      if (!within(entry.path, target) || hiddenFromRepoFs(entry.path)) continue;
      // Files git tracks inside a tracked output are shadowed by the output.
      if (outputs.some((o) => within(entry.path, o.path))) continue;
      plan.push({ relpath: relTo(entry.path, target), gitPath: entry.path });
      if (entry.path === target) exactFile = true;
    }
    for (const out of outputs) {
      if (!within(out.path, target) || out.path === target) continue;
      const relpath = relTo(out.path, target);
      if (out.hash.value.endsWith('.dir')) dirOutputs.push({ out, prefix: '' });
      else plan.push({ relpath, object: { name: out.hash.name, oid: out.hash.value } });
    }
  }
  if (plan.length === 0 && dirOutputs.length === 0) throw notFound(ext, path);

  const openers = await objectSources(ext);
  const opened: RemoteStorage[] = [];
  try {
    for (const open of openers) opened.push(await open());
    // Listings first: they name the files of the folders.
    for (const { out, prefix } of dirOutputs) {
      await fetchListing(repo, opened, out.hash.name, out.hash.value);
      const entries = repo.odb.readDir(out.hash.value, out.hash.name);
      if (entries === undefined) throw missingObjects(ext, path, [out.path]);
      const base = relTo(out.path, target);
      let matched = 0;
      for (const entry of entries) {
        if (prefix !== '' && !within(entry.relpath, prefix)) continue;
        matched += 1;
        const inside = prefix === '' ? entry.relpath : relTo(entry.relpath, prefix);
        if (inside === '') exactFile = true;
        const relpath = owner !== undefined ? inside : posix.join(base, entry.relpath);
        plan.push({ relpath, object: { name: out.hash.name, oid: entry.md5 } });
      }
      if (matched === 0) throw notFound(ext, path);
    }
    const wanted = (): PlannedFile[] =>
      plan.filter((f) => f.object !== undefined && !repo.odb.exists(f.object.oid, f.object.name));
    for (const storage of opened) {
      const missing = wanted();
      if (missing.length === 0) break;
      const used: UsedOutput[] = missing.map((f) => ({
        path: f.relpath,
        hash: { name: f.object!.name, value: f.object!.oid },
      }));
      await fetchObjects(repo, storage, used, { jobs });
    }
    const still = wanted();
    if (still.length > 0) {
      throw missingObjects(
        ext,
        path,
        still.map((f) => f.relpath || target),
      );
    }
  } finally {
    for (const storage of opened) await storage.close().catch(() => undefined);
  }

  const files: Array<{ relpath: string; md5: string }> = [];
  let size = 0;
  for (const file of plan) {
    let md5: string;
    if (file.gitPath !== undefined) {
      const data = await ext.tree.readFile(file.gitPath);
      if (data === null) throw notFound(ext, posix.join(target, file.relpath));
      md5 = md5Bytes(data);
      repo.odb.addBytes(md5, data);
    } else {
      const { name, oid } = file.object!;
      // Legacy (2.x) objects are re-keyed by the plain md5 of their bytes, as DVC 3 hashes.
      md5 = name === 'md5' ? oid : repo.odb.addFile(repo.odb.oidPath(oid, name));
    }
    size += statSync(repo.odb.oidPath(md5)).size;
    files.push({ relpath: file.relpath, md5 });
  }
  if (exactFile && files.length === 1 && files[0]?.relpath === '') {
    return { hash: files[0].md5, size, isDir: false, files };
  }
  const listing = serializeDirObject(files);
  const hash = dirObjectHash(listing);
  repo.odb.addBytes(hash, listing);
  return { hash, size, nfiles: files.length, isDir: true, files };
}

function notFound(ext: ExternalRepo, path: string): SluiceError {
  return new SluiceError(
    'NOT_FOUND',
    `'${path}' does not exist in '${maskUrl(ext.url)}' at ${ext.sha.slice(0, 7)}`,
    { hint: 'give a path that git or a .dvc file/dvc.lock of that repository tracks' },
  );
}

function missingObjects(ext: ExternalRepo, path: string, files: string[]): SluiceError {
  const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? ', …' : '');
  return new SluiceError(
    'MISSING_CACHE',
    `some files of '${path}' are neither in the cache nor on the default remote of '${maskUrl(ext.url)}': ${shown}`,
    { hint: 'push them from that repository first' },
  );
}
