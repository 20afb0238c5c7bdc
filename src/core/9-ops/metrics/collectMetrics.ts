import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import type { HashInfo } from '../../7-metafiles/stage.js';
import {
  metricsDiff,
  paramsDiff,
  type DiffResult,
  type RevisionData,
  type RevisionMetrics,
} from './compare.js';
import {
  extractXpath,
  isPlainObject,
  loadStructuredFile,
  MetricsFileError,
  parseMetricsFile,
  type LegacyMetricType,
} from '../../7-metafiles/metricsFile.js';
import {
  revisionNamed,
  revisionsInScope,
  type MetaOut,
  type Revision,
  type RevisionMeta,
  type RevisionScopeOptions,
} from '../../8-revisions/revision.js';

/**
 * `metrics show` / `params diff` data per revision, in the shape of DVC's `--json`:
 * `{rev: {data: {path: {data} | {error: {type, msg}}}} | {error}}`. Core never prints: the
 * CLI renders these results.
 */

export interface FileError {
  type: string;
  msg: string;
  /** Why the file could not be parsed; not enumerable, so `--json` keeps DVC's shape. */
  reason?: string;
}

export interface FileResult {
  data?: unknown;
  error?: FileError;
}

export interface RevisionResult {
  data?: Record<string, FileResult>;
  error?: FileError;
}

/** Revision display name → result, in brancher order. */
export type ShowResult = Array<[string, RevisionResult]>;

export function errorOf(error: unknown): FileError {
  if (error instanceof MetricsFileError) {
    const result: FileError = { type: error.type, msg: error.message };
    Object.defineProperty(result, 'reason', { value: error.reason, enumerable: false });
    return result;
  }
  if (error instanceof TrackedFileError) return { type: error.type, msg: error.message };
  if (error instanceof SluiceError) {
    return {
      type: error.name === 'DvcFileError' ? 'DvcFileError' : error.code,
      msg: error.message,
    };
  }
  return { type: 'Error', msg: error instanceof Error ? error.message : String(error) };
}

/** A tracked file that cannot be read at a revision (absent, or only known to a missing cache). */
export class TrackedFileError extends Error {
  constructor(
    readonly type: 'FileNotFoundError' | 'NotInCacheError',
    message: string,
  ) {
    super(message);
  }
}

function cachedObject(repo: Repo, hash: HashInfo): Buffer | null {
  try {
    return readFileSync(repo.odb.oidPath(hash.value, hash.name));
  } catch {
    return null;
  }
}

/** The output at `path`, or the cached directory output holding it (with the file's hash). */
function trackedHash(
  repo: Repo,
  meta: RevisionMeta,
  path: string,
): { out: MetaOut; hash: HashInfo } | undefined {
  for (const out of meta.outs) {
    if (!out.cache || out.hash === undefined) continue;
    if (out.path === path) return { out, hash: out.hash };
    if (path.startsWith(`${out.path}/`) && out.hash.value.endsWith('.dir')) {
      const rel = path.slice(out.path.length + 1);
      let entries;
      try {
        entries = repo.odb.readDir(out.hash.value, out.hash.name);
      } catch {
        entries = undefined;
      }
      const entry = entries?.find((e) => e.relpath === rel);
      if (entry !== undefined) return { out, hash: { name: out.hash.name, value: entry.md5 } };
      if (entries === undefined) return { out, hash: { name: out.hash.name, value: '' } };
    }
  }
  return undefined;
}

/**
 * A file's bytes at a revision: from git or the workspace, else from the local cache by the hash
 * recorded at that revision.
 */
export async function readTrackedFile(
  rev: Revision,
  meta: RevisionMeta,
  path: string,
): Promise<Buffer> {
  const direct = await rev.readFile(path);
  if (direct !== null) return direct;
  const tracked = trackedHash(rev.repo, meta, path);
  if (tracked !== undefined) {
    const data = tracked.hash.value === '' ? null : cachedObject(rev.repo, tracked.hash);
    if (data !== null) return data;
    throw new TrackedFileError('NotInCacheError', `'${path}' is not in cache`);
  }
  throw new TrackedFileError('FileNotFoundError', `'${path}' does not exist`);
}

/**
 * The files below `path` at a revision: in git (or the workspace), or in the cache listing of a
 * tracked folder output; null when `path` is not a folder there.
 */
export async function filesInFolder(
  rev: Revision,
  meta: RevisionMeta,
  path: string,
): Promise<string[] | null> {
  const under = await rev.filesUnder(path);
  if (under !== null) return under;
  const dirOut = meta.outs.find(
    (o) => o.path === path && o.cache && o.hash?.value.endsWith('.dir') === true,
  );
  if (dirOut?.hash === undefined) return null;
  try {
    const entries = rev.repo.odb.readDir(dirOut.hash.value, dirOut.hash.name);
    return entries === undefined ? null : entries.map((e) => `${path}/${e.relpath}`);
  } catch {
    return null;
  }
}

/** Directory targets become the files below them (DVC's try_expand_paths). */
async function expandPaths(rev: Revision, meta: RevisionMeta, paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) out.push(...((await filesInFolder(rev, meta, path)) ?? [path]));
  return [...new Set(out)];
}

/** DVC 0.x typed metric: only the xpath value, keyed by the xpath. */
function legacyValue(out: MetaOut, content: Buffer): unknown {
  const spec = out.metricSpec ?? {};
  const value = extractXpath(
    spec.type as LegacyMetricType | undefined,
    spec.xpath,
    content.toString('utf8'),
  );
  const single = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  const scalar =
    typeof single === 'string' && spec.type !== undefined && spec.type !== 'raw'
      ? numberOrString(single)
      : single;
  if (
    spec.xpath === undefined ||
    spec.xpath === '' ||
    spec.type === 'raw' ||
    spec.type === undefined
  )
    return scalar;
  return { [spec.xpath]: scalar };
}

function numberOrString(text: string): unknown {
  const t = text.trim();
  if (/^[-+]?\d+$/.test(t)) return Number(t);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return text;
}

export interface CollectOptions {
  /** Repo-relative metric/params files named on the command line. */
  targets?: string[];
}

/** The metrics of one revision, as `dvc metrics show --json` reports them under the revision. */
export async function collectMetrics(
  rev: Revision,
  opts: CollectOptions = {},
): Promise<RevisionResult> {
  let meta: RevisionMeta;
  try {
    meta = await rev.meta();
  } catch (error) {
    return { error: errorOf(error) };
  }
  const targets = opts.targets ?? [];
  const paths =
    targets.length > 0
      ? [...targets]
      : [...meta.outs.filter((o) => o.kind === 'metric').map((o) => o.path), ...meta.topMetrics];
  const files = await expandPaths(rev, meta, [...new Set(paths)]);
  const contents = await Promise.all(
    files.map((f) =>
      readTrackedFile(rev, meta, f).then(
        (b) => b,
        (e: unknown) => e,
      ),
    ),
  );
  const data: Record<string, FileResult> = {};
  files.forEach((file, i) => {
    const content = contents[i];
    if (!(content instanceof Buffer)) {
      data[file] = { error: errorOf(content) };
      return;
    }
    try {
      const out = meta.outs.find((o) => o.path === file);
      const spec = out?.metricSpec;
      if (
        out !== undefined &&
        spec !== undefined &&
        (spec.type !== undefined || spec.xpath !== undefined)
      ) {
        data[file] = { data: legacyValue(out, content) };
      } else {
        data[file] = { data: parseMetricsFile(file, content) };
      }
    } catch (error) {
      data[file] = { error: errorOf(error) };
    }
  });
  return { data };
}

/** Sets a dotted key in a nested mapping (dpath.merge of one key). */
function setNested(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isPlainObject(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function getNested(tree: unknown, key: string): unknown {
  let node: unknown = tree;
  for (const part of key.split('.')) {
    if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else if (isPlainObject(node) && Object.hasOwn(node, part)) node = node[part];
    else return undefined;
  }
  return node;
}

export interface ParamsOptions extends CollectOptions {
  /** `--deps`: only params that stages depend on. */
  depsOnly?: boolean;
}

/** The params of one revision, as DVC's `params show` API reports them. */
export async function collectParams(
  rev: Revision,
  opts: ParamsOptions = {},
): Promise<RevisionResult> {
  let meta: RevisionMeta;
  try {
    meta = await rev.meta();
  } catch (error) {
    return { error: errorOf(error) };
  }
  // DVC's _merge_params: a file tracked whole anywhere is tracked whole.
  const files = new Map<string, string[]>();
  const whole = new Set<string>();
  const add = (file: string, keys: string[] | null): void => {
    if (keys === null || keys.length === 0) whole.add(file);
    const list = files.get(file) ?? [];
    if (keys !== null) for (const k of keys) if (!list.includes(k)) list.push(k);
    files.set(file, list);
  };
  const targets = opts.targets ?? [];
  if (targets.length > 0) {
    for (const t of targets) add(t, null);
  } else {
    for (const dep of meta.paramsDeps) add(dep.file, dep.keys);
    if (opts.depsOnly !== true) {
      for (const p of meta.topParams) add(p, null);
      if ((await rev.readFile('params.yaml')) !== null) add('params.yaml', null);
    }
  }
  const data: Record<string, FileResult> = {};
  for (const [file, keys] of files) {
    try {
      const content = await readTrackedFile(rev, meta, file);
      const tree = loadStructuredFile(file, content);
      if (whole.has(file) || keys.length === 0) {
        data[file] = { data: tree };
        continue;
      }
      const picked: Record<string, unknown> = {};
      for (const key of keys) {
        const value = getNested(tree, key);
        if (value !== undefined) setNested(picked, key, value);
      }
      data[file] = { data: picked };
    } catch (error) {
      data[file] = { error: errorOf(error) };
    }
  }
  return { data };
}

type Collector = (rev: Revision) => Promise<RevisionResult>;

async function showWith(
  repo: Repo,
  scope: RevisionScopeOptions,
  collect: Collector,
  hideWorkspace: boolean,
): Promise<ShowResult> {
  const revisions = await revisionsInScope(repo, scope);
  const results: ShowResult = [];
  try {
    // All revisions at once: their reads are pipelined through one cat-file process.
    const collected = await Promise.all(revisions.map((rev) => collect(rev)));
    revisions.forEach((rev, i) => results.push([rev.name, collected[i]]));
  } finally {
    await repo.git?.close();
  }
  if (hideWorkspace && results.length > 1 && repo.git !== null) {
    // As DVC: the workspace is left out when it equals the checked-out branch.
    const branch = await repo.git.currentBranch();
    const ws = results.find(([name]) => name === 'workspace');
    const active = results.find(([name]) => name === branch);
    if (ws !== undefined && active !== undefined && sameResult(ws[1], active[1])) {
      results.splice(results.indexOf(ws), 1);
    }
  }
  return results;
}

function hasErrors(result: RevisionResult): boolean {
  return (
    result.error !== undefined ||
    Object.values(result.data ?? {}).some((f) => f.error !== undefined)
  );
}

function sameResult(a: RevisionResult, b: RevisionResult): boolean {
  // DVC compares exception objects by identity: results with errors never match.
  if (hasErrors(a) || hasErrors(b)) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ShowOptions extends RevisionScopeOptions, CollectOptions {
  /** Keep the workspace even when it equals the checked-out branch. */
  keepWorkspace?: boolean;
}

/** `metrics show` over the revisions in scope. */
export function showMetrics(repo: Repo, opts: ShowOptions = {}): Promise<ShowResult> {
  return showWith(repo, opts, (rev) => collectMetrics(rev, opts), opts.keepWorkspace !== true);
}

/** Revisions with a load error (DVC's errored_revisions). */
export function erroredRevisions(result: ShowResult): string[] {
  return result.filter(([, r]) => hasErrors(r)).map(([name]) => name);
}

/** One line per file that failed to load: `rev: path: reason`. */
export function errorLines(result: ShowResult): string[] {
  const lines: string[] = [];
  for (const [name, r] of result) {
    const label = name === '' ? 'workspace' : name;
    if (r.error !== undefined) lines.push(`${label}: ${r.error.msg}`);
    for (const [path, f] of Object.entries(r.data ?? {})) {
      if (f.error === undefined) continue;
      const why = f.error.reason === undefined ? '' : ` (${f.error.reason})`;
      lines.push(`${label}: ${path}: ${f.error.msg}${why}`);
    }
  }
  return lines;
}

/** Rows for `metricsShowTable`. */
export function toRevisionMetrics(result: ShowResult): RevisionMetrics[] {
  return result.map(([name, r]) => ({
    rev: name,
    files: Object.entries(r.data ?? {}).map(([path, f]) =>
      f.data === undefined ? { path } : { path, data: f.data },
    ),
  }));
}

export interface CompareOptions extends CollectOptions {
  aRev?: string;
  bRev?: string;
  all?: boolean;
  depsOnly?: boolean;
}

export interface CompareResult {
  diff: DiffResult;
  /** Revisions where some file failed to load. */
  errored: string[];
  errors: string[];
}

function revisionData(result: RevisionResult): RevisionData {
  const data: RevisionData = {};
  for (const [path, f] of Object.entries(result.data ?? {})) {
    if (f.data !== undefined) data[path] = f.data;
  }
  return data;
}

async function compareWith(
  repo: Repo,
  opts: CompareOptions,
  collect: Collector,
  diff: typeof metricsDiff,
): Promise<CompareResult> {
  const git = repo.git;
  if (git === null || !(await git.hasCommits())) return { diff: {}, errored: [], errors: [] };
  const aName = opts.aRev ?? 'HEAD';
  const bName = opts.bRev ?? 'workspace';
  try {
    const a = await revisionNamed(repo, aName);
    const b = await revisionNamed(repo, bName);
    const ra = await collect(a);
    const rb = await collect(b);
    const shown: ShowResult = [
      [aName, ra],
      [bName, rb],
    ];
    return {
      diff: diff(revisionData(ra), revisionData(rb), { all: opts.all === true }),
      errored: erroredRevisions(shown),
      errors: errorLines(shown),
    };
  } finally {
    await git.close();
  }
}

/** `metrics diff A B`. */
export function diffMetrics(repo: Repo, opts: CompareOptions = {}): Promise<CompareResult> {
  return compareWith(repo, opts, (rev) => collectMetrics(rev, opts), metricsDiff);
}

/** `params diff A B`. */
export function diffParams(repo: Repo, opts: CompareOptions = {}): Promise<CompareResult> {
  return compareWith(repo, opts, (rev) => collectParams(rev, opts), paramsDiff);
}

/** Repo-relative path → path relative to the cwd (as DVC's to_relpath). */
export function relativeToCwd(repoPath: string, cwdRel: string): string {
  if (cwdRel === '') return repoPath;
  return posix.relative(cwdRel, repoPath);
}
