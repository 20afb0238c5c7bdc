import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import pLimit from 'p-limit';
import { dirObjectHash, serializeDirObject } from '../../3-objects/dirObject.js';
import { SluiceError } from '../../1-base/errors.js';
import { md5File } from '../../3-objects/hashFile.js';
import { compareCodePoints, pyRepr } from '../../1-base/python.js';
import { pyJsonDumps } from '../../1-base/pyjson.js';
import { maskError } from '../../6-repo/remotes.js';
import { maskUrl, type ImportRule } from '../../4-storage/storage.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import { parseYamlFile } from '../../7-metafiles/yaml/parse.js';
import type { Repo } from '../../6-repo/repo.js';
import {
  BACKENDS,
  backendFor,
  LOCAL_SCHEME,
  openStorage,
  schemeOf,
} from '../../4-storage/registry.js';
import { computeStageMd5, saveDvcFile } from '../../7-metafiles/dvcFile.js';
import { importedOutEntry, type EntryObject } from '../../7-metafiles/entries.js';
import { hashPath, type PathHash } from '../../5-workspace/hashPath.js';
import { checkout } from '../data/checkout.js';
import { assertImportTarget, assertNothingUnsaved } from '../data/outputState.js';
import { ignoreOutputs } from '../data/ignoreOutputs.js';
import { storeInCache } from '../data/outputState.js';

export interface ImportUrlOptions {
  cwd: string;
  out?: string;
  noExec?: boolean;
  noDownload?: boolean;
  force?: boolean;
  /** `--fs-config K=V`: options of the source's file system, recorded in the dep. */
  fsConfig?: Record<string, string>;
}

export interface ImportUrlResult {
  /** Repo-relative `.dvc` file. */
  dvcFile: string;
  out: string;
  /** The source as shown in "Importing 'SRC' -> 'OUT'". */
  shown: string;
  /** Files git should track. */
  gitFiles: string[];
}

/** What a source looks like now: the dep entry's hash keys, and a fetched copy (if any). */
interface SourceState {
  dep: EntryObject;
  out?: { hash: string; size: number; nfiles?: number };
  /** Puts the data into the cache (only when it is to be downloaded). */
  store?: () => Promise<void>;
  cleanup?: () => void;
}

function isLocal(url: string): boolean {
  return schemeOf(url) === 'local';
}

function localPath(url: string, cwd: string): string {
  return resolve(cwd, url.startsWith('file://') ? new URL(url).pathname : url);
}

/** Hashes a local source; its objects go to the cache when `store` runs. */
function localSource(repo: Repo, abs: string, download: boolean): SourceState {
  const now = hashPath(repo.hashContext, abs, `import:${abs}`, 'md5');
  if (now === undefined) {
    throw new SluiceError('NOT_FOUND', `'${abs}' does not exist`, {
      hint: 'check the path of the source',
    });
  }
  const dep: EntryObject = stateEntry(now);
  return {
    dep,
    out: {
      hash: now.hash,
      size: now.size,
      ...(now.nfiles === undefined ? {} : { nfiles: now.nfiles }),
    },
    ...(download ? { store: () => Promise.resolve(storeInCache(repo, now, abs, 'md5')) } : {}),
  };
}

function stateEntry(now: PathHash): EntryObject {
  const entry: EntryObject = { md5: now.hash, size: now.size };
  if (now.nfiles !== undefined) entry.nfiles = now.nfiles;
  entry.hash = 'md5';
  return entry;
}

/** http(s): the checksum is the ETag (or Content-MD5); the body is hashed as it streams in. */
async function httpSource(repo: Repo, url: string, download: boolean): Promise<SourceState> {
  // A signed URL's query (`?X-Amz-Signature=`) is a secret: messages show it masked.
  const shown = maskUrl(url);
  let response: Response;
  try {
    response = await fetch(url, { method: download ? 'GET' : 'HEAD' });
  } catch (error) {
    throw maskError(error, [url]);
  }
  if (response.status === 404) {
    throw new SluiceError('NOT_FOUND', `'${shown}' does not exist`, { hint: 'check the URL' });
  }
  if (!response.ok) {
    throw new SluiceError(
      'REMOTE',
      `'${shown}' answered ${response.status} ${response.statusText}`,
    );
  }
  const length = Number(response.headers.get('content-length') ?? NaN);
  const dep: EntryObject = { checksum: httpChecksum(url, response) };
  if (!download) {
    await response.body?.cancel();
    if (Number.isFinite(length)) dep.size = length;
    dep.hash = 'md5';
    return { dep };
  }
  mkdirSync(repo.cacheDir, { recursive: true });
  const temp = tempNameFor(resolve(repo.cacheDir, 'import'));
  const md5 = createHash('md5');
  let size = 0;
  const body = response.body;
  if (body === null) throw new SluiceError('REMOTE', `'${shown}' sent no content`);
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  source.on('data', (chunk: Buffer) => {
    md5.update(chunk);
    size += chunk.length;
  });
  try {
    await pipeline(source, createWriteStream(temp));
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const hash = md5.digest('hex');
  dep.size = size;
  dep.hash = 'md5';
  return {
    dep,
    out: { hash, size },
    store: () => {
      repo.odb.addFile(temp, hash);
      rmSync(temp, { force: true });
      return Promise.resolve();
    },
    cleanup: () => rmSync(temp, { force: true }),
  };
}

/**
 * The `checksum` DVC records for an HTTP source: its ETag, else its Content-MD5, else what its
 * file system (fsspec) makes of the answer's facts: the md5 of the Python repr of the info dict
 * it builds, as a decimal integer. That changes when the size, type or Last-Modified do.
 */
export function httpChecksum(url: string, response: Response): string {
  const header = (name: string): string | undefined => response.headers.get(name) || undefined;
  const given = header('etag') ?? header('content-md5');
  if (given !== undefined) return given;
  const info: Record<string, unknown> = { name: url, size: null };
  const length = header('content-length');
  const encoding = response.headers.get('content-encoding');
  const range = header('content-range');
  if (length !== undefined && (encoding === null || encoding === '' || encoding === 'identity')) {
    info.size = Number(length);
  } else if (length === undefined && range !== undefined) {
    info.size = Number(range.split('/')[1]);
  }
  const type = header('content-type');
  if (type !== undefined) info.mimetype = type.split(';')[0];
  if (response.headers.get('accept-ranges') === 'none') info.partial = false;
  info.url = response.url === '' ? url : response.url;
  for (const [field, name] of [
    ['Digest', 'digest'],
    ['Last-Modified', 'last-modified'],
  ] as const) {
    const value = header(name);
    if (value !== undefined) info[field] = value;
  }
  info.type = 'file';
  const token = createHash('md5')
    .update(`(${pyRepr(info)},)`)
    .digest('hex');
  return BigInt(`0x${token}`).toString();
}

/** A source read through a storage, by its backend's rule (see `ImportRule`). */
type StorageRule = Extract<ImportRule, { source: 'storage' }>;

/** Splits `scheme://netloc/a/b` into the storage of `scheme://netloc/a` and the name `b`. */
function splitUrl(url: string): { parent: string; name: string } {
  const trimmed = url.replace(/\/+$/, '');
  const match = /^([a-zA-Z][\w+.-]*:\/\/[^/]*)(\/.*)?$/.exec(trimmed);
  const root = match?.[1] ?? trimmed;
  const path = match?.[2] ?? '';
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (name === '') {
    throw new SluiceError('BAD_ARGUMENTS', `'${maskUrl(url)}' names no file or folder`, {
      hint: 'give the path of an object or a folder in the bucket',
    });
  }
  return { parent: `${root}${path.slice(0, Math.max(0, slash))}`, name };
}

/**
 * Sources a storage reads (s3://, azure://, gs://, ssh://…): a file or a folder (a prefix).
 * Object stores are described by their ETags (no download needed to know the state); ssh by
 * the md5 of the bytes, as DVC does, so an ssh source is read even with --no-download.
 */
async function cloudSource(
  repo: Repo,
  url: string,
  download: boolean,
  fsConfig: Record<string, string>,
  rule: StorageRule,
): Promise<SourceState> {
  const { parent, name } = splitUrl(url);
  const storage = await openStorage(parent, fsConfig);
  const temps: string[] = [];
  const cleanup = (): void => {
    for (const temp of temps) rmSync(temp, { force: true });
  };
  try {
    const useEtag = rule.checksum === 'etag';
    const describe = async (key: string): Promise<{ size: number; etag?: string } | undefined> => {
      if (rule.checksum === 'md5') return (await storage.exists(key)) ? { size: 0 } : undefined;
      const info = await storage.info?.(key);
      if (info === undefined) return undefined;
      // DVC records the checksum as its backend spells it (see the backend's `recordedEtag`).
      const etag =
        info.etag === undefined || info.etag === '' ? undefined : rule.recordedEtag(info.etag);
      return etag === undefined ? { size: info.size } : { size: info.size, etag };
    };
    // Downloads one object into the cache's temp area and hashes it.
    const fetchOne = async (key: string): Promise<{ temp: string; md5: string; size: number }> => {
      mkdirSync(repo.cacheDir, { recursive: true });
      const temp = tempNameFor(resolve(repo.cacheDir, 'import'));
      temps.push(temp);
      await storage.download(key, temp);
      return { temp, md5: await md5File(temp), size: statSync(temp).size };
    };
    const single = await describe(name);
    let keys: string[];
    if (single !== undefined) {
      keys = [name];
    } else {
      keys = [];
      for await (const key of storage.list(`${name}/`)) keys.push(key);
      if (keys.length === 0) {
        throw new SluiceError('NOT_FOUND', `'${maskUrl(url)}' does not exist`, {
          hint: 'check the URL and the credentials',
        });
      }
    }
    const limit = pLimit(8);
    const files = await Promise.all(
      keys.map((key) =>
        limit(async () => {
          const meta = single !== undefined ? single : await describe(key);
          const fetched = download || !useEtag ? await fetchOne(key) : undefined;
          return {
            relpath: single !== undefined ? '' : key.slice(name.length + 1),
            etag: meta?.etag,
            fetched,
            size: fetched?.size ?? meta?.size ?? 0,
          };
        }),
      ),
    );
    const store = (): Promise<void> => {
      for (const file of files) {
        if (file.fetched !== undefined) repo.odb.addFile(file.fetched.temp, file.fetched.md5);
      }
      return Promise.resolve();
    };
    const totalSize = files.reduce((n, f) => n + f.size, 0);
    const depKey = useEtag ? 'etag' : 'md5';
    const depValue = (f: (typeof files)[number]): string | undefined =>
      useEtag ? f.etag : f.fetched?.md5;
    let dep: EntryObject;
    let out: SourceState['out'];
    if (single !== undefined) {
      const file = files[0];
      dep = {};
      const value = depValue(file);
      if (value !== undefined) dep[depKey] = value;
      dep.size = file.size;
      dep.hash = 'md5';
      if (file.fetched !== undefined) out = { hash: file.fetched.md5, size: file.size };
    } else {
      // The dep's listing names each file by the checksum recorded for it, as DVC builds it.
      const entries = files
        .map((f) => ({ [depKey]: depValue(f) ?? '', relpath: f.relpath }))
        .sort((a, b) => compareCodePoints(a.relpath, b.relpath));
      const listing = pyJsonDumps(entries);
      const depHash = dirObjectHash(listing);
      dep = { md5: depHash, size: totalSize, nfiles: files.length, hash: 'md5' };
      if (files.every((f) => f.fetched !== undefined)) {
        const outListing = serializeDirObject(
          files.map((f) => ({ relpath: f.relpath, md5: f.fetched!.md5 })),
        );
        const outHash = dirObjectHash(outListing);
        out = { hash: outHash, size: totalSize, nfiles: files.length };
        const storeFiles = store;
        const storeAll = async (): Promise<void> => {
          await storeFiles();
          repo.odb.addBytes(outHash, outListing);
          repo.odb.addBytes(depHash, listing);
        };
        return {
          dep,
          out,
          ...(download ? { store: storeAll } : {}),
          cleanup,
        };
      }
    }
    return { dep, ...(out === undefined ? {} : { out }), ...(download ? { store } : {}), cleanup };
  } catch (error) {
    cleanup();
    throw error;
  } finally {
    await storage.close();
  }
}

async function sourceState(
  repo: Repo,
  url: string,
  cwd: string,
  download: boolean,
  fsConfig: Record<string, string> = {},
): Promise<SourceState> {
  if (isLocal(url)) return localSource(repo, localPath(url, cwd), download);
  const scheme = schemeOf(url);
  const rule = backendFor(scheme)?.importUrl;
  if (rule?.source === 'get') return httpSource(repo, url, download);
  if (rule?.source === 'storage') return cloudSource(repo, url, download, fsConfig, rule);
  const supported = BACKENDS.flatMap((b) =>
    b.importUrl === undefined
      ? []
      : b.schemes.map((s) => (s === LOCAL_SCHEME ? 'local paths' : `${s}://`)),
  );
  throw new SluiceError('BAD_ARGUMENTS', `import-url does not support ${scheme}:// yet`, {
    hint: `supported: ${supported.join(', ')}`,
  });
}

/** The source a dependency names: a URL, or a local path (relative to `dir`, repo-relative). */
function sourceUrl(repo: Repo, dir: string, path: string): string {
  if (!isLocal(path) || path.startsWith('file://') || isAbsolute(path)) return path;
  return repo.abs(posix.join(dir, path));
}

/**
 * What the source of an external dependency (a URL, or a path outside the repository) looks
 * like now, in the keys its entry records (`md5`, `etag` or `checksum`, `size`…), without
 * downloading it where its checksum tells; undefined when it is gone.
 */
export async function externalDependencyState(
  repo: Repo,
  wdir: string,
  path: string,
  fsConfig: Record<string, string> = {},
): Promise<EntryObject | undefined> {
  let state: SourceState;
  try {
    state = await sourceState(repo, sourceUrl(repo, wdir, path), repo.root, false, fsConfig);
  } catch (error) {
    if (error instanceof SluiceError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
  state.cleanup?.();
  return state.dep;
}

/** `sluice import-url URL [OUT]`: a frozen single-stage `.dvc` file with the URL as its dep. */
export async function importUrl(
  repo: Repo,
  url: string,
  options: ImportUrlOptions,
): Promise<ImportUrlResult> {
  const local = isLocal(url);
  const base = posix.basename(
    local ? localPath(url, options.cwd).split(sep).join('/') : new URL(url).pathname,
  );
  const outAbs = resolve(options.cwd, options.out ?? base);
  const outRel = repo.rel(outAbs);
  const dvcFile = `${outRel}.dvc`;
  if (existsSync(repo.abs(dvcFile)) && options.force !== true) {
    throw new SluiceError('ALREADY_EXISTS', `'${dvcFile}' already exists`, {
      hint: 'use -f to overwrite it',
    });
  }
  assertImportTarget(repo, outRel, options.force === true);
  const fileDir = posix.dirname(dvcFile) === '.' ? '' : posix.dirname(dvcFile);
  // A local source is written as given when absolute, as DVC keeps it; else relative to the
  // .dvc file.
  const depPath = !local
    ? url
    : isAbsolute(url)
      ? url
      : relative(repo.abs(fileDir), localPath(url, options.cwd)).split(sep).join('/');
  const outPath = posix.basename(outRel);
  const shown = local ? localPath(url, options.cwd) : url;
  let data: EntryObject;
  let state: SourceState | undefined;
  const fsConfig = options.fsConfig ?? {};
  const withFsConfig = (dep: EntryObject): EntryObject =>
    Object.keys(fsConfig).length === 0 ? dep : { ...dep, fs_config: { ...fsConfig } };
  if (options.noExec === true) {
    data = {
      frozen: true,
      deps: [withFsConfig({ hash: 'md5', path: depPath })],
      outs: [{ hash: 'md5', path: outPath }],
    };
  } else {
    state = await sourceState(repo, url, options.cwd, options.noDownload !== true, fsConfig);
    const outs = [importedOutEntry(outPath, options.noDownload === true ? undefined : state.out)];
    const deps = [withFsConfig({ ...state.dep, path: depPath })];
    const body: EntryObject = { frozen: true, deps, outs };
    data = { md5: computeStageMd5(body), ...body };
  }
  try {
    await state?.store?.();
  } finally {
    state?.cleanup?.();
  }
  await saveDvcFile(repo, dvcFile, data);
  const gitFiles = [dvcFile, ...(await ignoreOutputs(repo, [outRel]))];
  if (state?.store !== undefined) {
    const result = checkout(repo, [dvcFile], { cwd: repo.root, force: true });
    if (result.failed.length > 0) {
      throw new SluiceError('FAILED', `could not check out '${outRel}'`, {
        hint: result.failed.map((f) => f.reason).join('; '),
      });
    }
  }
  return { dvcFile, out: outRel, shown, gitFiles };
}

/**
 * `sluice update` of an import-url stage: re-reads the source and, when it changed (or was
 * never downloaded), records the new state and downloads it.
 */
export async function updateImportUrl(
  repo: Repo,
  dvcFile: string,
  options: {
    noDownload?: boolean;
    rev?: string;
    jobs?: number;
    /** Import again even when the source did not change (`repro`). */
    force?: boolean;
  },
): Promise<{ changed: boolean }> {
  const text = readFileSync(repo.abs(dvcFile), 'utf8');
  const parsed = parseYamlFile(text, dvcFile).data as EntryObject;
  const deps = parsed.deps;
  const outs = parsed.outs;
  if (!Array.isArray(deps) || deps.length !== 1 || !Array.isArray(outs) || outs.length !== 1) {
    throw new SluiceError('BAD_ARGUMENTS', `'${dvcFile}' is not an import stage`);
  }
  const dep = deps[0] as EntryObject;
  const out = outs[0] as EntryObject;
  if (typeof dep.repo === 'object' && dep.repo !== null) {
    const { updateRepoImport } = await import('./importRepo.js');
    return updateRepoImport(repo, dvcFile, parsed, text, options);
  }
  if (typeof dep.path !== 'string' || typeof out.path !== 'string') {
    throw new SluiceError('BAD_ARGUMENTS', `'${dvcFile}' is not an import-url stage`);
  }
  if (options.rev !== undefined) {
    throw new SluiceError('BAD_ARGUMENTS', `--rev applies to imports from git repositories`, {
      hint: `'${dvcFile}' imports a URL`,
    });
  }
  const fileDir = posix.dirname(dvcFile) === '.' ? '' : posix.dirname(dvcFile);
  const url = sourceUrl(repo, fileDir, dep.path);
  const download = options.noDownload !== true;
  const fsConfig =
    typeof dep.fs_config === 'object' && dep.fs_config !== null
      ? Object.fromEntries(
          Object.entries(dep.fs_config as EntryObject).map(([k, v]) => [k, String(v)]),
        )
      : {};
  const state = await sourceState(repo, url, repo.root, download, fsConfig);
  const sameDep = ['md5', 'checksum', 'etag', 'size', 'nfiles'].every(
    (k) => state.dep[k] === dep[k],
  );
  const outKnown = out.md5 !== undefined;
  if (sameDep && (outKnown || !download) && options.force !== true) {
    state.cleanup?.();
    return { changed: false };
  }
  try {
    await state.store?.();
  } finally {
    state.cleanup?.();
  }
  const newDep: EntryObject = { ...dep };
  for (const key of ['md5', 'etag', 'checksum', 'size', 'nfiles']) delete newDep[key];
  Object.assign(newDep, state.dep);
  const newOut = importedOutEntry(out.path, download ? state.out : undefined);
  const body: EntryObject = { ...parsed, deps: [newDep], outs: [newOut] };
  delete body.md5;
  const { md5: _old, ...rest } = body;
  const data: EntryObject = { md5: computeStageMd5(rest), ...rest };
  // An import edited by hand since it was imported is not replaced (nor its record moved on).
  if (download) assertNothingUnsaved(repo, posix.join(fileDir, out.path), out);
  await saveDvcFile(repo, dvcFile, data, text);
  if (download) checkout(repo, [dvcFile], { cwd: repo.root, force: true });
  return { changed: true };
}
