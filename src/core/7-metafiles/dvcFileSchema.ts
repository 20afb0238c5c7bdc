/**
 * Validation of `.dvc` files (DVC 3.x `SINGLE_STAGE_SCHEMA`, dvc/schema.py). Validation coerces
 * hash fields in place exactly like DVC's voluptuous schema: an int becomes a string,
 * `md5`/`checksum` are lower-cased, an empty string becomes null. (`PipelineFile` reads dvc.lock
 * entries on its own.)
 */
import { isMapping } from '../1-base/mapping.js';
import type * as YAML from 'yaml';
import { DvcFileError } from '../1-base/errors.js';
import { pyStrRepr } from '../1-base/python.js';
import { pathPosition } from './yaml/parse.js';

export type Path = Array<string | number>;

export interface CloudEntry {
  md5?: string | null;
  etag?: string | null;
  checksum?: string | null;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  version_id?: string;
}

export interface DirFileEntry extends CloudEntry {
  relpath: string;
  cloud?: Record<string, CloudEntry>;
}

interface HashFields extends CloudEntry {
  path: string;
  hash?: string;
  persist?: boolean;
  cloud?: Record<string, CloudEntry>;
  files?: DirFileEntry[];
}

/** An out of a `.dvc` file, in file order (the object is the raw parsed mapping). */
export interface OutEntry extends HashFields {
  desc?: string;
  type?: string;
  labels?: string[];
  meta?: unknown;
  cache?: boolean;
  remote?: string;
  push?: boolean;
  fs_config?: Record<string, unknown>;
  /** Legacy (0.x–2.x) only, accepted in lenient mode. */
  metric?: boolean | { type?: string; xpath?: string };
  plot?: unknown;
  tags?: unknown;
}

export interface RepoSpec {
  url: string;
  rev?: string;
  rev_lock?: string;
  config?: string | Record<string, unknown>;
  remote?: string | Record<string, unknown>;
}

/** A dep of a `.dvc` file or a dvc.lock entry. */
export interface DepEntry extends HashFields {
  repo?: RepoSpec;
  db?: { query?: string; connection?: string; file_format?: string; table?: string };
  dataset?: Record<string, unknown>;
  fs_config?: Record<string, unknown>;
}

/** The content of a `.dvc` file. The object is the parsed mapping itself, so key order is kept. */
export interface DvcFileData {
  md5?: string | null;
  wdir?: string | null;
  deps?: DepEntry[] | null;
  outs?: OutEntry[] | null;
  frozen?: boolean;
  /** Legacy alias of `frozen`. */
  locked?: boolean;
  meta?: unknown;
  always_changed?: boolean;
  desc?: string;
  /** Legacy single-stage files only (lenient mode). */
  cmd?: string | string[];
}

export interface ValidateOptions {
  /** Accept every older era: `cmd`, `locked`, outs with `cache`/`metric`/`persist`/`tags`/`plot`. */
  lenient?: boolean;
}

type Check = (value: unknown, path: Path, ctx: Ctx) => unknown;
type Schema = Record<string, { check: Check; required?: boolean }>;

interface Ctx {
  file: string;
  doc: YAML.Document | undefined;
}

function pyPath(path: Path): string {
  return path.length === 0
    ? 'data'
    : `data${path.map((p) => `[${typeof p === 'number' ? p : pyStrRepr(p)}]`).join('')}`;
}

function fail(ctx: Ctx, path: Path, message: string): never {
  throw new DvcFileError(ctx.file, `${message} @ ${pyPath(path)}`, pathPosition(ctx.doc, path));
}

const typeNames: Record<string, string> = {
  str: 'str',
  bool: 'boolean',
  int: 'int',
  dict: 'dict',
  list: 'list',
};

function expected(kind: string): Check {
  return (v, path, ctx) => fail(ctx, path, `expected ${typeNames[kind] ?? kind}`);
}

const str: Check = (v, path, ctx) => (typeof v === 'string' ? v : expected('str')(v, path, ctx));
const bool: Check = (v, path, ctx) => (typeof v === 'boolean' ? v : expected('bool')(v, path, ctx));
const int: Check = (v, path, ctx) =>
  (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint' || typeof v === 'boolean'
    ? v
    : expected('int')(v, path, ctx);
const anything: Check = (v) => v;
const dict: Check = (v, path, ctx) => (isMapping(v) ? v : expected('dict')(v, path, ctx));
const strOrDict: Check = (v, path, ctx) =>
  typeof v === 'string' || isMapping(v) ? v : fail(ctx, path, 'expected str or dict');
const strOrNull: Check = (v, path, ctx) =>
  v == null || typeof v === 'string' ? v : fail(ctx, path, 'expected str or None');

function listOf(item: Check): Check {
  return (v, path, ctx) => {
    if (!Array.isArray(v)) return fail(ctx, path, 'expected a list');
    const list = v as unknown[];
    list.forEach((x, i) => {
      list[i] = item(x, [...path, i], ctx);
    });
    return list;
  };
}

function nullable(c: Check): Check {
  return (v, path, ctx) => (v == null ? null : c(v, path, ctx));
}

function hashCheck(lower: boolean): Check {
  return (v, path, ctx) => {
    if (v == null) return null;
    let s: string;
    if (typeof v === 'string') s = v;
    else if ((typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint')
      s = v.toString();
    else return fail(ctx, path, 'expected str for dictionary value');
    if (s.length === 0) return null;
    if (s.length < 3)
      return fail(ctx, path, 'length of value must be at least 3 for dictionary value');
    return lower ? s.toLowerCase() : s;
  };
}

function object(schema: Schema): Check {
  return (v, path, ctx) => {
    if (!isMapping(v)) return fail(ctx, path, 'expected a dictionary');
    for (const key of Object.keys(v)) {
      const rule = schema[key];
      if (rule === undefined) fail(ctx, [...path, key], 'extra keys not allowed');
      v[key] = rule.check(v[key], [...path, key], ctx);
    }
    for (const [key, rule] of Object.entries(schema)) {
      if (rule.required === true && !(key in v)) {
        fail(ctx, [...path, key], 'required key not provided');
      }
    }
    return v;
  };
}

function opt(check: Check): { check: Check } {
  return { check };
}

const CHECKSUMS: Schema = {
  md5: opt(hashCheck(true)),
  checksum: opt(hashCheck(true)),
  etag: opt(hashCheck(false)),
};

const META: Schema = {
  size: opt(int),
  nfiles: opt(int),
  isexec: opt(bool),
  version_id: opt(str),
};

const cloudCheck: Check = (v, path, ctx) => {
  const m = dict(v, path, ctx) as Record<string, unknown>;
  if (Object.keys(m).length > 1) fail(ctx, path, 'length of value must be at most 1');
  const inner = object({ ...META, ...CHECKSUMS });
  for (const k of Object.keys(m)) m[k] = inner(m[k], [...path, k], ctx);
  return m;
};

const DIR_FILES: Schema = {
  ...CHECKSUMS,
  ...META,
  relpath: { check: str, required: true },
  cloud: opt(cloudCheck),
};

const ARTIFACT: Schema = {
  ...CHECKSUMS,
  ...META,
  path: { check: str, required: true },
  persist: opt(bool),
  cloud: opt(cloudCheck),
  hash: opt(str),
};

const ANNOTATION: Schema = {
  desc: opt(str),
  type: opt(str),
  labels: opt(listOf(str)),
  meta: opt(anything),
};

const OUT_SCHEMA: Schema = {
  ...ARTIFACT,
  ...ANNOTATION,
  cache: opt(bool),
  remote: opt(str),
  push: opt(bool),
  files: opt(listOf(object(DIR_FILES))),
  fs_config: opt(dict),
};

const metricCheck: Check = (v, path, ctx) => {
  if (typeof v === 'boolean' || v == null) return v;
  return object({ type: opt(nullable(str)), xpath: opt(nullable(str)) })(v, path, ctx);
};

const LEGACY_OUT_SCHEMA: Schema = {
  ...OUT_SCHEMA,
  metric: opt(metricCheck),
  plot: opt(anything),
  tags: opt(anything),
};

const REPO_SCHEMA: Schema = {
  repo: opt(
    object({
      url: { check: str, required: true },
      rev: opt(str),
      rev_lock: opt(str),
      config: opt(strOrDict),
      remote: opt(strOrDict),
    }),
  ),
};

const DEP_SCHEMA: Schema = {
  ...ARTIFACT,
  ...REPO_SCHEMA,
  db: opt(
    object({ query: opt(str), connection: opt(str), file_format: opt(str), table: opt(str) }),
  ),
  files: opt(listOf(object(DIR_FILES))),
  fs_config: opt(dict),
};

const cmdCheck: Check = (v, path, ctx) =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    ? v
    : fail(ctx, path, 'expected str or list of str');

function singleStageSchema(lenient: boolean): Schema {
  const out = lenient ? LEGACY_OUT_SCHEMA : OUT_SCHEMA;
  const schema: Schema = {
    md5: opt(hashCheck(true)),
    wdir: opt(strOrNull),
    deps: opt(nullable(listOf(object(DEP_SCHEMA)))),
    outs: opt(nullable(listOf(object(out)))),
    locked: opt(bool),
    frozen: opt(bool),
    meta: opt(anything),
    always_changed: opt(bool),
    desc: opt(str),
  };
  if (lenient) schema.cmd = opt(cmdCheck);
  return schema;
}

/**
 * Validate (and coerce in place) the parsed content of a `.dvc` file. Throws `DvcFileError` pointing
 * at the offending key when `doc` (from `parseYamlFile`) is given.
 */
export function validateDvcFile(
  data: unknown,
  file: string,
  doc?: YAML.Document,
  opts: ValidateOptions = {},
): DvcFileData {
  const ctx: Ctx = { file, doc };
  if (!isMapping(data)) fail(ctx, [], 'expected a dictionary');
  return object(singleStageSchema(opts.lenient === true))(data, [], ctx) as DvcFileData;
}
