/**
 * dvc.lock reading and writing (doc 5.2). Reads schema '2.0' files (3.x entries with `hash: md5` and
 * 2.x entries without it) and, leniently, the 1.x layout (no `schema`, stage names at the top level).
 * Writes exactly what DVC 3.x writes (`dvc/stage/serialize.py` `to_single_stage_lockfile`).
 */
import type * as YAML from 'yaml';
import { DvcFileError } from '../errors.js';
import { PyFloat, compareCodePoints } from '../util/pyjson.js';
import { validateLockStage, type LockFileEntry } from './dvcFileSchema.js';
import { dumpYaml, parseYamlFile, pathPosition, setMappingEntries } from './yamlFormat.js';

export type { LockFileEntry } from './dvcFileSchema.js';

export const LOCK_SCHEMA_VERSION = '2.0';
export const DEFAULT_PARAMS_FILE = 'params.yaml';

/** One stage of dvc.lock: `cmd`, then `deps`, `params` (file -> key -> value), `outs`. */
export interface LockStageEntry {
  cmd: string | string[];
  deps?: LockFileEntry[];
  params?: Record<string, Record<string, unknown>>;
  outs?: LockFileEntry[];
}

export interface ParsedLockFile {
  /** '2.0', or undefined for a 1.x lock file. */
  schema: string | undefined;
  /** Stages in file order. */
  stages: Map<string, LockStageEntry>;
  datasets: unknown;
  doc: YAML.Document;
  /** The raw parsed mapping. */
  data: Record<string, unknown>;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PyFloat);
}

export function parseLockFile(text: string, file: string): ParsedLockFile {
  const { doc, data } = parseYamlFile(text, file);
  if (!isMapping(data)) {
    throw new DvcFileError(file, 'expected a dictionary @ data', pathPosition(doc, []));
  }
  const stages = new Map<string, LockStageEntry>();
  if (!('schema' in data)) {
    // 1.x: every top-level key is a stage.
    for (const [name, entry] of Object.entries(data)) {
      stages.set(
        name,
        validateLockStage(entry, file, [name], doc, { lenient: true }) as LockStageEntry,
      );
    }
    return { schema: undefined, stages, datasets: undefined, doc, data };
  }
  if (data.schema !== LOCK_SCHEMA_VERSION) {
    throw new DvcFileError(
      file,
      "invalid schema version @ data['schema']",
      pathPosition(doc, ['schema']),
    );
  }
  for (const key of Object.keys(data)) {
    if (key !== 'schema' && key !== 'stages' && key !== 'datasets') {
      throw new DvcFileError(
        file,
        `extra keys not allowed @ data['${key}']`,
        pathPosition(doc, [key]),
      );
    }
  }
  const raw = data.stages;
  if (raw !== undefined && raw != null) {
    if (!isMapping(raw)) {
      throw new DvcFileError(
        file,
        "expected a dictionary @ data['stages']",
        pathPosition(doc, ['stages']),
      );
    }
    for (const [name, entry] of Object.entries(raw)) {
      stages.set(name, validateLockStage(entry, file, ['stages', name], doc) as LockStageEntry);
    }
  }
  return { schema: LOCK_SCHEMA_VERSION, stages, datasets: data.datasets, doc, data };
}

const ENTRY_KEY_ORDER = [
  'path',
  'hash',
  'md5',
  'etag',
  'checksum',
  'size',
  'nfiles',
  'isexec',
  'version_id',
];

function normalizeEntry(entry: LockFileEntry): Record<string, unknown> {
  const src = entry as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_KEY_ORDER) if (src[k] !== undefined) out[k] = src[k];
  for (const [k, v] of Object.entries(src)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

function sortByPath(entries: readonly LockFileEntry[]): Record<string, unknown>[] {
  return [...entries].sort((a, b) => compareCodePoints(a.path, b.path)).map(normalizeEntry);
}

function normalizeParams(
  params: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const files = Object.keys(params).sort(compareCodePoints);
  const ordered = files.includes(DEFAULT_PARAMS_FILE)
    ? [DEFAULT_PARAMS_FILE, ...files.filter((f) => f !== DEFAULT_PARAMS_FILE)]
    : files;
  const out: Record<string, Record<string, unknown>> = {};
  for (const f of ordered) {
    const values = params[f] ?? {};
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(values).sort(compareCodePoints)) sorted[k] = values[k];
    out[f] = sorted;
  }
  return out;
}

/** The stage entry exactly as DVC serialises it (key order, sorting, empty sections omitted). */
export function serializeLockStage(entry: LockStageEntry): Record<string, unknown> {
  const res: Record<string, unknown> = { cmd: entry.cmd };
  if (entry.deps !== undefined && entry.deps.length > 0) res.deps = sortByPath(entry.deps);
  if (entry.params !== undefined && Object.keys(entry.params).length > 0) {
    res.params = normalizeParams(entry.params);
  }
  if (entry.outs !== undefined && entry.outs.length > 0) res.outs = sortByPath(entry.outs);
  return res;
}

type StagesInput =
  ReadonlyMap<string, LockStageEntry> | ReadonlyArray<readonly [string, LockStageEntry]>;

function stageList(stages: StagesInput): Array<readonly [string, LockStageEntry]> {
  return stages instanceof Map
    ? [...stages.entries()]
    : [...(stages as ReadonlyArray<readonly [string, LockStageEntry]>)];
}

/** A whole new dvc.lock (stages in the given order). */
export function dumpLockFile(stages: StagesInput, opts: { datasets?: unknown } = {}): string {
  const out: Record<string, unknown> = { schema: LOCK_SCHEMA_VERSION };
  const body: Record<string, unknown> = {};
  for (const [name, entry] of stageList(stages)) body[name] = serializeLockStage(entry);
  out.stages = body;
  if (opts.datasets !== undefined) out.datasets = opts.datasets;
  return dumpYaml(out);
}

/** Python `==` on parsed YAML data: dicts ignore order, 1 == 1.0 == True. */
export function pyEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown): number | bigint | undefined => {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof PyFloat) return v.value;
    return undefined;
  };
  const na = num(a);
  const nb = num(b);
  if (na !== undefined || nb !== undefined) {
    // eslint-disable-next-line eqeqeq -- compares number and bigint by value
    return na !== undefined && nb !== undefined && na == nb;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => pyEqual(x, b[i]))
    );
  }
  if (isMapping(a) || isMapping(b)) {
    if (!isMapping(a) || !isMapping(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && pyEqual(a[k], b[k]));
  }
  return (a ?? null) === (b ?? null);
}

/**
 * Write `stages` into an existing dvc.lock text like `Lockfile.dump_stages`: an unchanged stage is
 * left untouched, a changed one is replaced in place, a new one is appended to `stages`. A 1.x lock
 * file is rewritten in the 2.0 layout.
 */
export function updateLockText(oldText: string, stages: StagesInput, file = 'dvc.lock'): string {
  const list = stageList(stages);
  let old: ParsedLockFile | undefined;
  if (oldText.trim() !== '') {
    try {
      old = parseLockFile(oldText, file);
    } catch {
      old = undefined;
    }
  }
  if (old === undefined || old.schema === undefined || old.stages.size === 0) {
    const merged = new Map<string, LockStageEntry>(old?.stages ?? []);
    for (const [name, entry] of list) merged.set(name, entry);
    return dumpLockFile(merged, old?.datasets === undefined ? {} : { datasets: old.datasets });
  }
  const updates: Array<readonly [string, unknown]> = [];
  for (const [name, entry] of list) {
    const next = serializeLockStage(entry);
    const prev = old.stages.get(name);
    if (prev !== undefined && pyEqual(prev, next)) continue;
    updates.push([name, next]);
  }
  if (updates.length === 0) return oldText;
  const text = setMappingEntries(oldText, ['stages'], updates);
  if (text !== undefined) return text;
  const merged = new Map<string, LockStageEntry>(old.stages);
  for (const [name, entry] of list) merged.set(name, entry);
  return dumpLockFile(merged, old.datasets === undefined ? {} : { datasets: old.datasets });
}
