import {
  chmodSync,
  copyFileSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import pLimit from 'p-limit';
import { parseDirObject } from '../../3-objects/dirObject.js';
import { READONLY_MODE } from '../../3-objects/objectStore.js';
import { errnoCode } from '../../1-base/errors.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import { isTempOwnerGone, parseTempName } from '../../2-fs/tempFiles.js';
import { md5Bytes, md5File, md5FileSync, type HashName } from '../../3-objects/hashFile.js';
import type { Repo } from '../../6-repo/repo.js';
import {
  collectUsedOutputs,
  entryPath,
  parseRemoteKey,
  remoteKey,
} from '../../8-revisions/objects.js';
import { openRemote, type OpenRemote } from '../../6-repo/remotes.js';
import { RemoteNotFoundError, type RemoteStorage } from '../../4-storage/storage.js';
import { downloadObject } from '../remote/download.js';
import { withRetries } from '../remote/transfer.js';

/**
 * `sluice fsck`: checks that every object of the local cache (and, with a remote, of the remote)
 * hashes to its name, that `.dir` listings parse, and finds the temporary files that killed
 * commands left in the cache. With `repair`, a bad local object is replaced by a verified copy
 * (a workspace file that hashes to the name, else the remote's copy), a bad remote object is
 * uploaded again from a verified local copy, and leftover temporary files are removed.
 */

export type FsckKind = 'corrupted' | 'truncated' | 'bad-listing' | 'temporary';

export interface FsckProblem {
  kind: FsckKind;
  /** `cache`, or the name of the remote the object is on. */
  where: 'cache' | 'remote';
  remote?: string;
  /** The object's id and hash name (absent for a temporary file). */
  oid?: string;
  name?: HashName;
  /** Cache-relative path (`files/md5/ab/cd…`) or remote key. */
  path: string;
  /** The workspace files (per the metafiles) that have this object's content. */
  files: string[];
  detail?: string;
  /** How it was repaired (with `repair`), or why it could not be. */
  repaired?: string;
  notRepaired?: string;
}

export interface FsckReport {
  /** Objects checked in the local cache. */
  checked: number;
  /** Objects checked on the remote (with a remote). */
  remoteChecked?: number;
  remote?: string;
  problems: FsckProblem[];
}

export interface FsckOptions {
  /** Check this remote as well (its name, or '' for the default remote). */
  remote?: string;
  repair?: boolean;
  jobs?: number;
  cwd: string;
}

const OBJECT_NAME = /^[0-9a-f]{30}(\.dir)?$/;
const HEX2 = /^[0-9a-f]{2}$/;

/** Names of temporary files: `.NAME.PID.TAG.tmp` (atomic writes), `.tmp-PID-…` (add), `*.tmp`. */
function isTemporary(name: string): boolean {
  return name.endsWith('.tmp') || name.startsWith('.tmp-');
}

/** What the workspace's metafiles say about objects: which files use them, and their sizes. */
interface Known {
  files: Map<string, string[]>;
  sizes: Map<string, number>;
}

async function knownObjects(repo: Repo, cwd: string): Promise<Known> {
  const known: Known = { files: new Map(), sizes: new Map() };
  const note = (name: HashName, oid: string, path: string, size?: number): void => {
    const key = `${name}:${oid}`;
    const list = known.files.get(key);
    if (list === undefined) known.files.set(key, [path]);
    else if (!list.includes(path)) list.push(path);
    if (size !== undefined) known.sizes.set(key, size);
  };
  for (const out of await collectUsedOutputs(repo, { cwd })) {
    const { name, value } = out.hash;
    note(name, value, out.path);
    if (!value.endsWith('.dir')) continue;
    let entries;
    try {
      entries = repo.odb.readDir(value, name);
    } catch {
      continue; // a bad listing is reported as such when its object is checked
    }
    for (const e of entries ?? []) note(name, e.md5, entryPath(out.path, e.relpath));
  }
  // The hash cache remembers the files hashed so far, with their sizes (a listing has none).
  for (const name of ['md5', 'md5-dos2unix'] as const) {
    for (const { key, hash, size } of repo.hashCache.remembered(name)) {
      if (known.files.has(`${name}:${hash}`)) note(name, hash, key, size);
      else known.sizes.set(`${name}:${hash}`, size);
    }
  }
  return known;
}

/** The problem with the bytes of object `oid`, or undefined when they hash to its name. */
function judge(
  data: { hash: string; size: number; bytes?: Buffer },
  oid: string,
  expectedSize: number | undefined,
): { kind: FsckKind; detail: string } | undefined {
  const isDir = oid.endsWith('.dir');
  const actual = isDir ? `${data.hash}.dir` : data.hash;
  if (actual !== oid) {
    if (expectedSize !== undefined && data.size < expectedSize) {
      return { kind: 'truncated', detail: `${data.size} of ${expectedSize} bytes` };
    }
    return { kind: 'corrupted', detail: `its content hashes to ${data.hash}` };
  }
  if (isDir && data.bytes !== undefined) {
    try {
      parseDirObject(data.bytes, oid, { check: true });
    } catch (error) {
      return {
        kind: 'bad-listing',
        detail: error instanceof Error ? error.message : String(error),
      };
    }
  }
  return undefined;
}

/** Hashes a local file as object `oid` of hash name `name` (a listing is read whole). */
async function hashLocal(
  path: string,
  oid: string,
  name: HashName,
): Promise<{ hash: string; size: number; bytes?: Buffer }> {
  if (oid.endsWith('.dir')) {
    const bytes = readFileSync(path);
    return { hash: md5Bytes(bytes), size: bytes.length, bytes };
  }
  const { size } = statSync(path);
  const hash = size < 1024 * 1024 ? md5FileSync(path, name) : await md5File(path, name);
  return { hash, size };
}

export async function fsck(repo: Repo, options: FsckOptions): Promise<FsckReport> {
  const known = await knownObjects(repo, options.cwd);
  const filesOf = (name: HashName, oid: string): string[] =>
    known.files.get(`${name}:${oid}`) ?? [];
  const report: FsckReport = { checked: 0, problems: [] };
  const jobs = Math.max(1, options.jobs ?? 4);
  const limit = pLimit(jobs);
  let remote: OpenRemote | undefined;
  const openTheRemote = async (): Promise<OpenRemote | undefined> => {
    if (remote !== undefined) return remote;
    if (options.remote === undefined && repo.config.get('core', 'remote') === undefined) {
      return undefined;
    }
    remote = await openRemote(
      repo.config,
      options.remote === '' ? undefined : options.remote,
      options.jobs,
    );
    return remote;
  };
  try {
    // The local cache: 3.x objects, then legacy (2.x) ones at the cache's root.
    const tasks: Array<Promise<void>> = [];
    for (const name of ['md5', 'md5-dos2unix'] as const) {
      const root = repo.odb.rootFor(name);
      for (const folder of listDir(root)) {
        const path = join(root, folder);
        if (name === 'md5' && isTemporary(folder) && isFile(path)) {
          report.problems.push(temporary(repo, path));
          continue;
        }
        if (!HEX2.test(folder)) continue;
        for (const entry of listDir(path)) {
          const file = join(path, entry);
          if (isTemporary(entry)) {
            if (isFile(file)) report.problems.push(temporary(repo, file));
            continue;
          }
          if (!OBJECT_NAME.test(entry)) continue;
          const oid = folder + entry;
          tasks.push(
            limit(async () => {
              report.checked += 1;
              const found = judge(
                await hashLocal(file, oid, name),
                oid,
                known.sizes.get(`${name}:${oid}`),
              );
              if (found === undefined) return;
              report.problems.push({
                ...found,
                where: 'cache',
                oid,
                name,
                path: relative(repo.cacheDir, file).split('\\').join('/'),
                files: filesOf(name, oid),
              });
            }),
          );
        }
      }
    }
    await Promise.all(tasks);

    if (options.repair === true) {
      for (const problem of report.problems) {
        await repairLocal(repo, problem, openTheRemote);
      }
    }

    if (options.remote !== undefined) {
      const opened = await openTheRemote();
      if (opened !== undefined) {
        report.remote = opened.name;
        const remoteProblems = await checkRemote(repo, opened, known, jobs);
        report.remoteChecked = remoteProblems.checked;
        for (const problem of remoteProblems.problems) {
          problem.files = filesOf(problem.name ?? 'md5', problem.oid ?? '');
          if (options.repair === true) await repairRemote(repo, opened.storage, problem);
          report.problems.push(problem);
        }
      }
    }
  } finally {
    await remote?.storage.close();
  }
  report.problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return report;
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

function temporary(repo: Repo, path: string): FsckProblem {
  return {
    kind: 'temporary',
    where: 'cache',
    path: relative(repo.cacheDir, path).split('\\').join('/'),
    files: [],
    detail: 'left by a command that was stopped',
  };
}

/**
 * Replaces a bad local object by a verified copy: a workspace file that hashes to its name (it
 * is copied beside the object and the copy is hashed, so what lands in the cache is what was
 * verified), else the remote's copy (downloaded and verified like every fetch). A temporary
 * file is removed.
 */
async function repairLocal(
  repo: Repo,
  problem: FsckProblem,
  openTheRemote: () => Promise<OpenRemote | undefined>,
): Promise<void> {
  const full = join(repo.cacheDir, problem.path);
  if (problem.kind === 'temporary') {
    const owner = parseTempName(basename(problem.path), true);
    const changed = statSync(full, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (owner !== undefined && !isTempOwnerGone(owner, changed)) {
      problem.notRepaired = `process ${owner.pid}, which may be writing it, is running`;
      return;
    }
    await rm(full, { force: true });
    problem.repaired = 'removed';
    return;
  }
  const { oid, name } = problem;
  if (oid === undefined || name === undefined) return;
  if (!oid.endsWith('.dir')) {
    for (const file of problem.files) {
      if (copyIfMatches(repo.abs(file), full, oid, name)) {
        problem.repaired = `repaired from the workspace (${file})`;
        return;
      }
    }
  }
  let opened: OpenRemote | undefined;
  try {
    opened = await openTheRemote();
  } catch (error) {
    problem.notRepaired = error instanceof Error ? error.message : String(error);
    return;
  }
  if (opened === undefined) {
    problem.notRepaired = 'no workspace file has this content and no remote is set';
    return;
  }
  const outcome = await downloadObject(repo, opened.storage, {
    name,
    oid,
    path: problem.files[0] ?? oid,
    key: remoteKey(name, oid),
  });
  if (outcome.ok) problem.repaired = `repaired from remote '${opened.name}'`;
  else if (outcome.missing) {
    problem.notRepaired = `no workspace file has this content and remote '${opened.name}' lacks it`;
  } else problem.notRepaired = `remote '${opened.name}': ${outcome.reason}`;
}

/** Copies `source` over the object `target` when the copy hashes to `oid`; true when done. */
function copyIfMatches(source: string, target: string, oid: string, name: HashName): boolean {
  if (!isFile(source)) return false;
  const temp = tempNameFor(target);
  try {
    copyFileSync(source, temp);
    if (md5FileSync(temp, name) !== oid) {
      rmSync(temp, { force: true });
      return false;
    }
    chmodSync(temp, READONLY_MODE);
    renameSync(temp, target);
    return true;
  } catch {
    rmSync(temp, { force: true });
    return false;
  }
}

/** Checks every object of a remote: a local folder is read in place, others are downloaded. */
async function checkRemote(
  repo: Repo,
  remote: OpenRemote,
  known: Known,
  jobs: number,
): Promise<{ checked: number; problems: FsckProblem[] }> {
  const { storage } = remote;
  const keys: string[] = [];
  if (storage.capabilities.canList) {
    for await (const key of storage.list('')) if (parseRemoteKey(key) !== undefined) keys.push(key);
  } else {
    // A remote that cannot list (plain HTTP): the objects the workspace uses.
    for (const key of known.files.keys()) {
      const colon = key.indexOf(':');
      keys.push(remoteKey(key.slice(0, colon) as HashName, key.slice(colon + 1)));
    }
  }
  const { LocalStorage } = await import('../../4-storage/backends/local/localStorage.js');
  const local = storage instanceof LocalStorage ? storage : undefined;
  const scratch = join(repo.tmpDir, 'sluice', 'fsck');
  if (local === undefined) await mkdir(scratch, { recursive: true });
  const problems: FsckProblem[] = [];
  let checked = 0;
  const limit = pLimit(jobs);
  try {
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          const parsed = parseRemoteKey(key);
          if (parsed === undefined) return;
          let data;
          if (local !== undefined) {
            try {
              data = await hashLocal(local.pathOf(key), parsed.oid, parsed.name);
            } catch (error) {
              if (errnoCode(error) === 'ENOENT') return; // removed since it was listed
              throw error;
            }
          } else {
            const temp = tempNameFor(join(scratch, parsed.oid));
            try {
              await withRetries(() => storage.download(key, temp));
              data = await hashLocal(temp, parsed.oid, parsed.name);
            } catch (error) {
              if (error instanceof RemoteNotFoundError) return;
              throw error;
            } finally {
              await rm(temp, { force: true });
            }
          }
          checked += 1;
          const found = judge(data, parsed.oid, known.sizes.get(`${parsed.name}:${parsed.oid}`));
          if (found === undefined) return;
          problems.push({
            ...found,
            where: 'remote',
            remote: remote.name,
            oid: parsed.oid,
            name: parsed.name,
            path: key,
            files: [],
          });
        }),
      ),
    );
  } finally {
    if (local === undefined) await rm(scratch, { recursive: true, force: true });
  }
  return { checked, problems };
}

/** Uploads a bad remote object again from the local cache, when the local copy verifies. */
async function repairRemote(
  repo: Repo,
  storage: RemoteStorage,
  problem: FsckProblem,
): Promise<void> {
  const { oid, name } = problem;
  if (oid === undefined || name === undefined) return;
  if (!repo.odb.verify(oid, name)) {
    problem.notRepaired = 'the local cache has no good copy of it';
    return;
  }
  const source = repo.odb.oidPath(oid, name);
  // The upload hashes what it sends (see verifiedUpload.ts), for 3.x objects and listings.
  const md5 = name === 'md5' || oid.endsWith('.dir') ? oid.replace(/\.dir$/, '') : undefined;
  try {
    await withRetries(() => storage.upload(source, problem.path, undefined, md5));
    problem.repaired = 'uploaded again from the cache';
  } catch (error) {
    problem.notRepaired = error instanceof Error ? error.message : String(error);
  }
}
