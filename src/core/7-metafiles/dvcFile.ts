import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { assertSafeRelpath } from '../3-objects/dirObject.js';
import { DvcFileError, errnoCode, SluiceError } from '../1-base/errors.js';
import { decodeMetafile } from './yaml/decode.js';
import { dumpYaml } from './yaml/dump.js';
import { parseYamlFile } from './yaml/parse.js';
import { updateYamlText } from './yaml/update.js';
import { validateDvcFile } from './dvcFileSchema.js';
import type { Repo } from '../6-repo/repo.js';
import { pyJsonDumps, type PyValue } from '../1-base/pyjson.js';
import { md5Bytes } from '../3-objects/hashFile.js';
import {
  canonicalizeEntry,
  newEntry,
  readRecordedState,
  writeStateInto,
  type EntryObject,
} from './entries.js';
import {
  Dependency,
  Output,
  Stage,
  type MetricSpec,
  type RecordedState,
  type StageKind,
} from './stage.js';

export const DVC_FILE_SUFFIX = '.dvc';
export const DEFAULT_SINGLE_STAGE_FILE = 'Dvcfile';

export function isDvcFileName(name: string): boolean {
  const base = posix.basename(name);
  return base.endsWith(DVC_FILE_SUFFIX) || base === DEFAULT_SINGLE_STAGE_FILE;
}

/** A `.dvc` file (or `Dvcfile`) as loaded: the stage, the raw data and the text it came from. */
export interface DvcFile {
  stage: Stage;
  data: EntryObject;
  text: string | undefined;
  /** The raw out/dep entries, parallel to `stage.outs` / `stage.deps`. */
  outEntries: EntryObject[];
  depEntries: EntryObject[];
}

const URL_PATTERN = /^[a-zA-Z][\w+.-]*:\/\//;

export function isUrl(path: string): boolean {
  return URL_PATTERN.test(path) || path.startsWith('remote://');
}

/** Resolves a path written in a metafile, refusing ones that leave the repository. */
export function resolveInRepo(file: string, wdir: string, path: string): string {
  if (posix.isAbsolute(path)) {
    throw new SluiceError('BAD_PATH', `'${file}': absolute path '${path}' is not allowed`, {
      hint: 'paths in metafiles are relative to the file',
    });
  }
  const joined = posix.normalize(wdir === '' ? path : `${wdir}/${path}`).replace(/\/$/, '');
  if (joined === '..' || joined.startsWith('../')) {
    throw new SluiceError('BAD_PATH', `'${file}': path '${path}' points outside the repository`, {
      hint: 'paths in metafiles must stay inside the repository',
    });
  }
  if (joined !== '.') assertSafeRelpath(joined, file);
  return joined === '.' ? '' : joined;
}

function readText(repo: Repo, file: string): string {
  try {
    const abs = repo.abs(file);
    repo.observer.onRead(abs);
    return decodeMetafile(readFileSync(abs), file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new SluiceError('NOT_FOUND', `'${file}' does not exist`);
    }
    throw error;
  }
}

/** Loads a `.dvc` file of any era (3.x add files, imports, 0.x–2.x single-stage files). */
export function loadDvcFile(repo: Repo, file: string): DvcFile {
  const text = readText(repo, file);
  // An empty file (or `null`) parses as `{}`: a stage with nothing, as DVC reads it.
  const { doc, data } = parseYamlFile(text, file);
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new DvcFileError(file, 'expected a mapping at the top level', { line: 1 });
  }
  validateDvcFile(data, file, doc, { lenient: true });
  const raw = data as EntryObject;
  const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
  const wdirValue = typeof raw.wdir === 'string' ? raw.wdir : '.';
  const wdir = resolveInRepo(file, dir, wdirValue);
  const depEntries = Array.isArray(raw.deps) ? (raw.deps as EntryObject[]) : [];
  const outEntries = Array.isArray(raw.outs) ? (raw.outs as EntryObject[]) : [];
  const cmd = raw.cmd as string | string[] | undefined;
  const isImport = cmd === undefined && depEntries.length > 0;
  const kind: StageKind = cmd !== undefined ? 'single' : isImport ? 'import' : 'data';
  const stage = new Stage(kind, file, wdir, {
    ...(cmd === undefined ? {} : { cmd }),
    frozen: raw.frozen === true || raw.locked === true,
    alwaysChanged: raw.always_changed === true,
    ...(typeof raw.md5 === 'string' ? { md5: raw.md5 } : {}),
    ...(typeof raw.desc === 'string' ? { desc: raw.desc } : {}),
  });
  for (const entry of depEntries) {
    const path = String(entry.path);
    // An import-url dep may be a local path outside the repo (absolute or `../`): external.
    const joined = posix.normalize(wdir === '' ? path : `${wdir}/${path}`);
    const external =
      isUrl(path) || posix.isAbsolute(path) || joined === '..' || joined.startsWith('../');
    const repoPath = external ? undefined : resolveInRepo(file, wdir, path);
    const repoInfo =
      typeof entry.repo === 'object' && entry.repo !== null
        ? (entry.repo as Record<string, unknown>)
        : undefined;
    const fsConfig =
      typeof entry.fs_config === 'object' && entry.fs_config !== null
        ? Object.fromEntries(
            Object.entries(entry.fs_config as Record<string, unknown>).map(([k, v]) => [
              k,
              String(v),
            ]),
          )
        : undefined;
    stage.deps.push(
      new Dependency(
        stage,
        path,
        repoPath,
        readRecordedState(entry),
        undefined,
        repoInfo,
        fsConfig,
      ),
    );
  }
  for (const entry of outEntries) {
    const path = String(entry.path);
    const metric = entry.metric;
    const metricSpec: MetricSpec | undefined =
      typeof metric === 'object' && metric !== null ? metric : metric === true ? {} : undefined;
    stage.outs.push(
      new Output(stage, path, resolveInRepo(file, wdir, path), readRecordedState(entry), {
        cache: entry.cache !== false,
        persist: entry.persist === true,
        kind: metricSpec !== undefined ? 'metric' : 'out',
        ...(metricSpec === undefined ? {} : { metricSpec }),
        ...(typeof entry.remote === 'string' ? { remote: entry.remote } : {}),
        push: entry.push !== false,
      }),
    );
  }
  return { stage, data: raw, text, outEntries, depEntries };
}

/** The new `.dvc` data of a tracked data source (`sluice add`). */
export function newDataFileData(outEntry: EntryObject): EntryObject {
  return { outs: [outEntry] };
}

/** Writes the recorded state of every dep/out back into the raw data. */
export function syncRecordedState(dvcFile: DvcFile): void {
  const sync = (entry: EntryObject | undefined, state: RecordedState): void => {
    if (entry === undefined) return;
    const first =
      entry.md5 === undefined && entry.etag === undefined && entry.checksum === undefined;
    writeStateInto(entry, state);
    if (first) canonicalizeEntry(entry);
  };
  dvcFile.stage.deps.forEach((dep, i) => sync(dvcFile.depEntries[i], dep.recorded));
  dvcFile.stage.outs.forEach((out, i) => sync(dvcFile.outEntries[i], out.recorded));
  if (dvcFile.stage.kind === 'single' || dvcFile.stage.kind === 'import') {
    const md5 = computeStageMd5(dvcFile.data);
    if (md5 !== undefined) setStageMd5(dvcFile.data, md5);
  }
}

function setStageMd5(data: EntryObject, md5: string): void {
  if ('md5' in data) {
    data.md5 = md5;
    return;
  }
  // A new md5 goes first, as DVC writes it (doc 4.2: desc, md5, cmd, ...).
  const entries = Object.entries(data);
  for (const key of Object.keys(data)) delete data[key];
  const descEntry = entries.find(([k]) => k === 'desc');
  if (descEntry !== undefined) data.desc = descEntry[1];
  data.md5 = md5;
  for (const [k, v] of entries) if (k !== 'desc') data[k] = v;
}

const STAGE_MD5_EXCLUDED = new Set([
  'desc',
  'type',
  'labels',
  'meta',
  'locked',
  'frozen',
  'metric',
  'persist',
  'isexec',
  'size',
  'nfiles',
]);

function stripExcluded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripExcluded);
  if (value !== null && typeof value === 'object' && value.constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!STAGE_MD5_EXCLUDED.has(k)) out[k] = stripExcluded(v);
    }
    return out;
  }
  return value;
}

/**
 * The stage md5 of a single-stage file (doc 3.4): md5 of the Python json dump of the file's
 * data without md5/meta/desc, `wdir: .`, and the excluded keys at every level.
 */
export function computeStageMd5(data: EntryObject): string | undefined {
  if (data.cmd === undefined && !Array.isArray(data.deps)) return undefined;
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === 'md5' || k === 'meta' || k === 'desc') continue;
    if (k === 'wdir' && v === '.') continue;
    top[k] = v;
  }
  return md5Bytes(pyJsonDumps(stripExcluded(top) as PyValue));
}

/** Serialises and writes a `.dvc` file, preserving comments and key order of the old text. */
export async function saveDvcFile(
  repo: Repo,
  file: string,
  data: EntryObject,
  oldText?: string,
): Promise<string> {
  const text = oldText === undefined ? dumpYaml(data) : updateYamlText(oldText, data);
  const folder = posix.dirname(file);
  if (folder !== '.') repo.workspace.mkdir(folder);
  await repo.workspace.writeFile(file, text);
  return text;
}

export { newEntry };
