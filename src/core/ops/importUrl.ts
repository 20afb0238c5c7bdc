import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { posix, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { SluiceError } from '../errors.js';
import { tempNameFor } from '../fs/atomicWrite.js';
import { parseYamlFile } from '../dvcfile/yamlFormat.js';
import type { Repo } from '../repo/repo.js';
import { schemeOf } from '../remote/registry.js';
import { computeStageMd5, saveDvcFile } from '../stage/dvcFile.js';
import type { EntryObject } from '../stage/entries.js';
import { hashPath, type PathHash } from '../workspace/hashPath.js';
import { checkout } from './checkout.js';
import { ignoreOutputs } from './ignoreOutputs.js';
import { storeInCache } from './outputState.js';

export interface ImportUrlOptions {
  cwd: string;
  out?: string;
  noExec?: boolean;
  noDownload?: boolean;
  force?: boolean;
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
  const response = await fetch(url, { method: download ? 'GET' : 'HEAD' });
  if (response.status === 404) {
    throw new SluiceError('NOT_FOUND', `'${url}' does not exist`, { hint: 'check the URL' });
  }
  if (!response.ok) {
    throw new SluiceError('REMOTE', `'${url}' answered ${response.status} ${response.statusText}`);
  }
  const etag = response.headers.get('etag') ?? response.headers.get('content-md5');
  const length = Number(response.headers.get('content-length') ?? NaN);
  const dep: EntryObject = {};
  if (etag !== null) dep.checksum = etag;
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
  if (body === null) throw new SluiceError('REMOTE', `'${url}' sent no content`);
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

async function sourceState(
  repo: Repo,
  url: string,
  cwd: string,
  download: boolean,
): Promise<SourceState> {
  if (isLocal(url)) return localSource(repo, localPath(url, cwd), download);
  const scheme = schemeOf(url);
  if (scheme === 'http' || scheme === 'https') return httpSource(repo, url, download);
  throw new SluiceError('BAD_ARGUMENTS', `import-url does not support ${scheme}:// yet`, {
    hint: 'supported: local paths, http://, https://',
  });
}

function outEntry(path: string, out: SourceState['out'] | undefined): EntryObject {
  if (out === undefined) return { hash: 'md5', path };
  const entry: EntryObject = { md5: out.hash, size: out.size };
  if (out.nfiles !== undefined) entry.nfiles = out.nfiles;
  entry.hash = 'md5';
  entry.path = path;
  return entry;
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
  const fileDir = posix.dirname(dvcFile) === '.' ? '' : posix.dirname(dvcFile);
  // A local source is written relative to the .dvc file, as DVC writes it.
  const depPath = local
    ? relative(repo.abs(fileDir), localPath(url, options.cwd)).split(sep).join('/')
    : url;
  const outPath = posix.basename(outRel);
  const shown = local ? localPath(url, options.cwd) : url;
  let data: EntryObject;
  let state: SourceState | undefined;
  if (options.noExec === true) {
    data = {
      frozen: true,
      deps: [{ hash: 'md5', path: depPath }],
      outs: [{ hash: 'md5', path: outPath }],
    };
  } else {
    state = await sourceState(repo, url, options.cwd, options.noDownload !== true);
    const outs = [outEntry(outPath, options.noDownload === true ? undefined : state.out)];
    const body: EntryObject = { frozen: true, deps: [{ ...state.dep, path: depPath }], outs };
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
  options: { noDownload?: boolean },
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
  if (typeof dep.path !== 'string' || typeof out.path !== 'string' || dep.repo !== undefined) {
    throw new SluiceError('BAD_ARGUMENTS', `'${dvcFile}' is not an import-url stage`, {
      hint: 'updating imports from other repositories is not supported yet',
    });
  }
  const fileDir = posix.dirname(dvcFile) === '.' ? '' : posix.dirname(dvcFile);
  const url = isLocal(dep.path) ? repo.abs(posix.join(fileDir, dep.path)) : dep.path;
  const download = options.noDownload !== true;
  const state = await sourceState(repo, url, repo.root, download);
  const sameDep = ['md5', 'checksum', 'etag', 'size', 'nfiles'].every(
    (k) => state.dep[k] === dep[k],
  );
  const outKnown = out.md5 !== undefined;
  if (sameDep && (outKnown || !download)) {
    state.cleanup?.();
    return { changed: false };
  }
  try {
    await state.store?.();
  } finally {
    state.cleanup?.();
  }
  const newDep: EntryObject = { ...state.dep, path: dep.path };
  const newOut = outEntry(out.path, download ? state.out : undefined);
  const body: EntryObject = { ...parsed, deps: [newDep], outs: [newOut] };
  delete body.md5;
  const { md5: _old, ...rest } = body;
  const data: EntryObject = { md5: computeStageMd5(rest), ...rest };
  await saveDvcFile(repo, dvcFile, data, text);
  if (download) checkout(repo, [dvcFile], { cwd: repo.root, force: true });
  return { changed: true };
}
