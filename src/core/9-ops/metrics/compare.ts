import {
  compareCodePoints,
  pyEquals,
  PyFloat,
  pyRound,
  pyStr,
  pyTruthy,
} from '../../1-base/python.js';
import { flattenMetrics, isPlainObject, parsePyJson } from '../../7-metafiles/metricsFile.js';

/**
 * Comparing metrics and params across revisions, and the rows of their tables, as DVC 3 does
 * (dvc/utils/diff.py, dvc/compare.py). Values keep Python's int/float distinction: `number` is
 * an int when integral, `PyFloat` an integral float.
 */

/** `dvc metrics show` default `--precision`. */
export const DEFAULT_PRECISION = 5;

export interface DiffEntry {
  /** null when the value is absent on that side. */
  old: unknown;
  new: unknown;
  /** new − old, when both are numbers (bools count, as in Python). */
  diff?: number | PyFloat;
}

/** path → metric or param name → change. */
export type DiffResult = Record<string, Record<string, DiffEntry>>;

/**
 * Per-path data of one revision: what `metrics show --json` reports under `data` for that file
 * (a nested mapping or a bare scalar). A missing key, or `undefined`, means the file is absent
 * or could not be read there.
 */
export type RevisionData = Record<string, unknown>;

export interface DiffOptions {
  /** Include unchanged values (`--all`). */
  all?: boolean;
}

/** `dvc metrics diff --json`: changed values per file, `diff` = new − old for numbers. */
export function metricsDiff(
  old: RevisionData,
  cur: RevisionData,
  opts: DiffOptions = {},
): DiffResult {
  return diffRevisionData(old, cur, opts.all ?? false);
}

/** `dvc params diff --json`: DVC computes it exactly as the metrics diff (with `diff` too). */
export function paramsDiff(
  old: RevisionData,
  cur: RevisionData,
  opts: DiffOptions = {},
): DiffResult {
  return diffRevisionData(old, cur, opts.all ?? false);
}

function diffRevisionData(
  old: RevisionData,
  cur: RevisionData,
  withUnchanged: boolean,
): DiffResult {
  const paths = new Set<string>([...Object.keys(old), ...Object.keys(cur)]);
  // DVC iterates a Python set here (no stable order); sort for reproducible output.
  const sorted = [...paths].sort(compareCodePoints);
  const result: Array<[string, Record<string, DiffEntry>]> = [];
  for (const path of sorted) {
    const a = formatData(old[path] ?? {});
    const b = formatData(cur[path] ?? {});
    const fileDiff = diffFile(a, b, withUnchanged);
    if (Object.keys(fileDiff).length > 0) result.push([path, fileDiff]);
  }
  return Object.fromEntries(result);
}

/** DVC's `format_dict`: lists anywhere become their Python `str()`. */
function formatData(value: unknown): unknown {
  if (Array.isArray(value)) return pyStr(value);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      isPlainObject(v) || Array.isArray(v) ? formatData(v) : v,
    ]),
  );
}

/** DVC's `_parse`: string data that is valid JSON is read as JSON. */
function parseRaw(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return parsePyJson('', raw);
  } catch {
    return raw;
  }
}

const UNABLE = 'unable to parse';

function flattenSide(d: unknown): { values: Record<string, unknown>; fallback: unknown } {
  if (!pyTruthy(d)) return { values: {}, fallback: null };
  if (isPlainObject(d)) return { values: flattenMetrics(d), fallback: null };
  return { values: {}, fallback: UNABLE };
}

function diffFile(
  oldRaw: unknown,
  newRaw: unknown,
  withUnchanged: boolean,
): Record<string, DiffEntry> {
  const oldV = parseRaw(oldRaw);
  const newV = parseRaw(newRaw);
  if (isPlainObject(oldV) || isPlainObject(newV)) {
    const o = flattenSide(oldV);
    const n = flattenSide(newV);
    const keys = [...new Set([...Object.keys(o.values), ...Object.keys(n.values)])].sort(
      compareCodePoints,
    );
    const out: Array<[string, DiffEntry]> = [];
    for (const key of keys) {
      const a = Object.hasOwn(o.values, key) ? o.values[key] : o.fallback;
      const b = Object.hasOwn(n.values, key) ? n.values[key] : n.fallback;
      const entry = diffValues(a, b, withUnchanged);
      if (entry !== undefined) out.push([key, entry]);
    }
    return Object.fromEntries(out);
  }
  const entry = diffValues(oldV, newV, withUnchanged);
  return entry === undefined ? {} : { '': entry };
}

function diffValues(oldV: unknown, newV: unknown, withUnchanged: boolean): DiffEntry | undefined {
  if (Array.isArray(oldV) && Array.isArray(newV) && oldV.length === 1 && newV.length === 1) {
    return diffValues(oldV[0], newV[0], withUnchanged);
  }
  if (!withUnchanged && pyEquals(oldV, newV)) return undefined;
  const entry: DiffEntry = { old: oldV ?? null, new: newV ?? null };
  const a = pyNumber(oldV);
  const b = pyNumber(newV);
  if (a !== undefined && b !== undefined) {
    const value = b.value - a.value;
    entry.diff = a.float || b.float ? toPyFloat(value) : value;
  }
  return entry;
}

function toPyFloat(value: number): number | PyFloat {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

/** The numeric value of a Python int/float/bool, with whether it is a float. */
function pyNumber(v: unknown): { value: number; float: boolean } | undefined {
  if (v instanceof PyFloat) return { value: v.value, float: true };
  if (typeof v === 'boolean') return { value: v ? 1 : 0, float: false };
  if (typeof v === 'number') return { value: v, float: !Number.isInteger(v) };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/**
 * A table cell as DVC's `_format_field`: floats rounded to `precision` decimals (when
 * `precision` is set and non-zero), also inside lists and mappings, then Python `str()`.
 * `dvc metrics show/diff` pass `--precision` or 5; `dvc params diff` passes none.
 */
export function formatMetricValue(value: unknown, precision?: number): string {
  const round = (v: unknown): unknown => {
    if (precision !== undefined && precision !== 0) {
      if (v instanceof PyFloat) return new PyFloat(pyRound(v.value, precision));
      if (typeof v === 'number' && !Number.isInteger(v)) {
        return toPyFloat(pyRound(v, precision));
      }
    }
    if (Array.isArray(v)) return v.map(round);
    if (isPlainObject(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)]));
    return v;
  };
  return pyStr(round(value));
}

// ---------------------------------------------------------------------------------------------
// Tables (header row first); another module renders them.

export interface RevisionMetrics {
  /** Display name: `workspace`, branch/tag names joined by `,`, a sha, or `` without -a/-T/-A. */
  rev: string;
  /** One entry per metrics file; `data` undefined when it could not be read. */
  files: Array<{ path: string; data?: unknown }>;
}

export interface ShowTableOptions {
  /** Whether the `Revision` column is shown (with -a/-T/-A). */
  showRevision: boolean;
  /** Default 5 (`DEFAULT_PRECISION`). */
  precision?: number;
}

/**
 * `dvc metrics show` rows: [Revision,] Path, then the metric names sorted; `-` where a file has
 * no such metric. A file that failed to load gets a row of `-`.
 */
export function metricsShowTable(revisions: RevisionMetrics[], opts: ShowTableOptions): string[][] {
  const precision = opts.precision || DEFAULT_PRECISION;
  const names: string[] = [];
  const seen = new Set<string>();
  const rows: Array<{ rev: string; path: string; cells: Map<string, string> }> = [];
  for (const revision of revisions) {
    for (const file of revision.files) {
      const data = file.data ?? {};
      const flat = isPlainObject(data) ? flattenMetrics(formatData(data)) : { '': data };
      const cells = new Map<string, string>();
      for (const [name, value] of Object.entries(flat)) {
        if (!seen.has(name)) {
          seen.add(name);
          names.push(name);
        }
        cells.set(name, value == null ? '-' : formatMetricValue(value, precision));
      }
      rows.push({ rev: revision.rev, path: file.path, cells });
    }
  }
  // Python's sorted(): the "" column of bare-scalar files comes first.
  const columns = names.filter((n) => n !== 'Revision' && n !== 'Path').sort(compareCodePoints);
  const header = [...(opts.showRevision ? ['Revision'] : []), 'Path', ...columns];
  const body = rows.map((row) => [
    ...(opts.showRevision ? [row.rev] : []),
    row.path,
    ...columns.map((c) => row.cells.get(c) ?? '-'),
  ]);
  return [header, ...body];
}

export interface DiffTableOptions {
  /** `Metric` or `Param`. */
  title: string;
  /** Column titles; default `HEAD` and `workspace`. */
  aRev?: string;
  bRev?: string;
  /** `--no-path`: drop the Path column. */
  noPath?: boolean;
  /** The Change column (metrics: true; params: false). Default true. */
  showChanges?: boolean;
  /** Rounding of floats; undefined = none (params). Metrics use `--precision` or 5. */
  precision?: number;
}

/**
 * `dvc metrics diff` / `dvc params diff` rows: Path, title, A, B, Change; rows sorted by name
 * within each file, `-` for absent values and for a missing change.
 */
export function diffTable(diff: DiffResult, opts: DiffTableOptions): string[][] {
  const showChanges = opts.showChanges ?? true;
  const noPath = opts.noPath ?? false;
  const header = [
    ...(noPath ? [] : ['Path']),
    opts.title,
    opts.aRev || 'HEAD',
    opts.bRev || 'workspace',
    ...(showChanges ? ['Change'] : []),
  ];
  const cell = (v: unknown): string => (v == null ? '-' : formatMetricValue(v, opts.precision));
  const rows: string[][] = [header];
  for (const [path, changes] of Object.entries(diff)) {
    const names = Object.keys(changes).sort(compareCodePoints);
    for (const name of names) {
      const change = changes[name];
      rows.push([
        ...(noPath ? [] : [path]),
        name,
        cell(change.old),
        cell(change.new),
        ...(showChanges ? [cell(change.diff)] : []),
      ]);
    }
  }
  return rows;
}

/** `dvc metrics diff` table with DVC's defaults (precision 5, Change column). */
export function metricsDiffTable(
  diff: DiffResult,
  opts: { aRev?: string; bRev?: string; noPath?: boolean; precision?: number } = {},
): string[][] {
  return diffTable(diff, {
    title: 'Metric',
    ...opts,
    precision: opts.precision || DEFAULT_PRECISION,
    showChanges: true,
  });
}

/** `dvc params diff` table: no Change column, no rounding. */
export function paramsDiffTable(
  diff: DiffResult,
  opts: { aRev?: string; bRev?: string; noPath?: boolean } = {},
): string[][] {
  return diffTable(diff, { title: 'Param', ...opts, showChanges: false, precision: undefined });
}
