/**
 * `${...}` templating of dvc.yaml, after dvc/parsing (interpolate.py, context.py).
 *
 * Values are plain trees: string | number | boolean | null | PyFloat | unknown[] | Record<string, unknown>.
 * Errors are thrown as `InterpolationError`; `dvcYaml.ts` prefixes them with the location, as DVC
 * does ("failed to parse 'stages.x.cmd' in 'dvc.yaml': ...").
 */
import { posix } from 'node:path';
import { PyFloat, pyRepr, pyStr, pyTypeName } from '../1-base/python.js';

export class InterpolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

/** `parsing.bool` / `parsing.list` of the DVC config: how a dict renders in `cmd`. */
export interface ParsingConfig {
  bool?: 'store_true' | 'boolean_optional';
  list?: 'nargs' | 'append';
}

export type PlainDict = Record<string, unknown>;

export function isPlainDict(value: unknown): value is PlainDict {
  return (
    typeof value === 'object' &&
    value != null &&
    !Array.isArray(value) &&
    !(value instanceof PyFloat)
  );
}

/** Python's `shlex.quote`. */
export function shellQuote(s: string): string {
  if (s === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(s)) return s;
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

function flattenDict(obj: PlainDict, prefix: string, out: [string, unknown][]): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (isPlainDict(v)) flattenDict(v, key, out);
    else out.push([key, v]);
  }
}

function dictToArgs(obj: PlainDict, config: ParsingConfig | undefined): string {
  const flat: [string, unknown][] = [];
  flattenDict(obj, '', flat);
  let result = '';
  for (const [k, v] of flat) {
    if (typeof v === 'boolean') {
      if (v) result += `--${k} `;
      else if (config?.bool === 'boolean_optional') result += `--no-${k} `;
    } else if (typeof v === 'string') {
      result += `--${k} ${shellQuote(v)} `;
    } else if (Array.isArray(v)) {
      v.forEach((item: unknown, n) => {
        let rendered: string;
        if (typeof item === 'string') rendered = shellQuote(item);
        else if (Array.isArray(item) || isPlainDict(item))
          throw new InterpolationError(`Cannot interpolate nested iterable in '${k}'`);
        else rendered = pyStr(item);
        if (config?.list === 'append') result += `--${k} ${rendered} `;
        else result += n > 0 ? `${rendered} ` : `--${k} ${rendered} `;
      });
    } else {
      result += `--${k} ${pyStr(v)} `;
    }
  }
  return result.trimEnd();
}

/** DVC's `to_str`: how a value renders when embedded in a string (also foreach/matrix keys). */
export function toStr(value: unknown, config?: ParsingConfig): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (isPlainDict(value)) return dictToArgs(value, config);
  if (Array.isArray(value)) return pyRepr(value);
  return pyStr(value);
}

// ---------------------------------------------------------------------------------------------
// Expressions

const KEYCRE = /(?<!\\)\$\{(.*?)\}/g;

interface Match {
  start: number;
  end: number;
  inner: string;
}

const matchCache = new Map<string, Match[]>();

export function getMatches(template: string): Match[] {
  const cached = matchCache.get(template);
  if (cached !== undefined) return cached;
  const matches: Match[] = [];
  for (const m of template.matchAll(KEYCRE)) {
    matches.push({ start: m.index, end: m.index + m[0].length, inner: m[1] ?? '' });
  }
  if (matchCache.size > 10000) matchCache.clear();
  matchCache.set(template, matches);
  return matches;
}

export function isInterpolated(value: unknown): boolean {
  return typeof value === 'string' && getMatches(value).length > 0;
}

const EXPR_RE = /^[^.[\]]+(?:\.[^.[\]]+|\[[^.[\]]+\])*$/;
const segmentCache = new Map<string, string[]>();

/** Split `a.b[0].c` into `['a', 'b', '0', 'c']`; a syntax error throws. */
export function parseExpression(expr: string): string[] {
  const cached = segmentCache.get(expr);
  if (cached !== undefined) return cached;
  const segments = EXPR_RE.test(expr.trimStart())
    ? expr
        .replaceAll('[', '.')
        .replaceAll(']', '')
        .split('.')
        .map((s) => s.trim())
    : undefined;
  if (segments === undefined || segments.some((s) => s === '')) {
    throw new InterpolationError(`\${${expr}}\ninvalid expression '${expr}'`);
  }
  if (segmentCache.size > 10000) segmentCache.clear();
  segmentCache.set(expr, segments);
  return segments;
}

// ---------------------------------------------------------------------------------------------
// Context

/** Where each top-level-inserted subtree came from, for "cannot redefine" messages. */
type Sources = Map<string, string>;

export interface ReadFile {
  (relPath: string): string | undefined;
}

export type LoadFile = (relPath: string) => PlainDict;

const PRIMITIVE_TYPES = new Set(['string', 'number', 'boolean', 'bigint']);

function isPrimitive(value: unknown): boolean {
  return value instanceof PyFloat || PRIMITIVE_TYPES.has(typeof value);
}

export class Context {
  /** Top-level keys of the data; nested dicts are shared with clones and copied on write. */
  data: PlainDict;
  private sources: Sources;
  /** Loaded files (normalised path relative to the dvc.yaml dir) → selected keys (null = all). */
  private imports: Map<string, string[] | null>;
  /** Temporarily set keys (`item`, `key`), looked up before `data`, protected from `vars`. */
  private overlay: PlainDict | undefined;

  constructor(data: PlainDict = {}) {
    this.data = data;
    this.sources = new Map();
    this.imports = new Map();
    this.overlay = undefined;
  }

  clone(): Context {
    const c = new Context({ ...this.data });
    c.sources = new Map(this.sources);
    c.imports = new Map([...this.imports].map(([k, v]) => [k, v == null ? null : [...v]]));
    c.overlay = this.overlay;
    return c;
  }

  has(key: string): boolean {
    return (this.overlay !== undefined && key in this.overlay) || Object.hasOwn(this.data, key);
  }

  /** Runs `fn` with `values` set at the top level (foreach `item`/`key`), reserving those keys. */
  withTemporary<T>(values: PlainDict, fn: () => T): T {
    const prev = this.overlay;
    this.overlay = prev === undefined ? values : { ...prev, ...values };
    try {
      return fn();
    } finally {
      this.overlay = prev;
    }
  }

  private sourceOf(path: string[]): string {
    for (let i = path.length; i > 0; i--) {
      const src = this.sources.get(path.slice(0, i).join('.'));
      if (src !== undefined) return src;
    }
    return '<local>';
  }

  /** Merges `update` in; a key that exists already (and is not a dict on both sides) is an error. */
  mergeUpdate(update: PlainDict, source: string): void {
    if (this.overlay !== undefined) {
      const reserved = Object.keys(this.overlay).filter((k) => Object.hasOwn(update, k));
      if (reserved.length > 0) {
        const n = reserved.length > 1 ? 'keys' : 'key';
        throw new InterpolationError(
          `attempted to modify reserved ${n} ${humanJoin(reserved)} in '${source}'`,
        );
      }
    }
    const merge = (into: PlainDict, upd: PlainDict, path: string[]): void => {
      for (const [key, val] of Object.entries(upd)) {
        const existing = Object.hasOwn(into, key) ? into[key] : undefined;
        const p = [...path, key];
        if (isPlainDict(existing) && isPlainDict(val)) {
          // Copy on write: nested dicts may be shared with the context this one was cloned from.
          const child = { ...existing };
          into[key] = child;
          merge(child, val, p);
        } else {
          if (Object.hasOwn(into, key)) {
            throw new InterpolationError(
              `cannot redefine '${p.join('.')}' from '${source}' as it already exists in '${this.sourceOf(p)}'`,
            );
          }
          into[key] = val;
          this.sources.set(p.join('.'), source);
        }
      }
    };
    merge(this.data, update, []);
  }

  /** A `vars` entry that is a file path, optionally `path:key1,key2`. */
  mergeFrom(item: string, wdir: string, loadFile: LoadFile): void {
    const colon = item.indexOf(':');
    const file = colon === -1 ? item : item.slice(0, colon);
    const keysStr = colon === -1 ? '' : item.slice(colon + 1);
    const path = posix.normalize(posix.join(wdir, file));
    const selectKeys = keysStr === '' ? null : keysStr.split(',').filter((k) => k !== '');
    const keys = selectKeys != null && selectKeys.length > 0 ? selectKeys : null;
    const imported = this.imports.get(path);
    if (imported !== undefined) {
      if (keys == null && imported == null) return;
      if (keys == null && imported != null)
        throw new InterpolationError(`cannot load '${item}' as it's partially loaded already`);
      if (keys != null && imported == null)
        throw new InterpolationError(`cannot partially load '${item}' as it's already loaded.`);
      if (keys != null && imported != null && keys.some((k) => imported.includes(k)))
        throw new InterpolationError(`cannot load '${item}' as it's partially loaded already`);
    }
    let data = loadFile(path);
    if (keys != null) {
      const selected: PlainDict = {};
      for (const k of keys) {
        if (!Object.hasOwn(data, k))
          throw new InterpolationError(`could not find '${k}' in '${path}'`);
        selected[k] = data[k];
      }
      data = selected;
    }
    this.mergeUpdate(data, path);
    if (imported === undefined) this.imports.set(path, keys == null ? null : [...keys]);
    else if (imported != null && keys != null) imported.push(...keys);
  }

  /**
   * Loads `vars` (and, for the top level, the default `params.yaml` if it exists). `wdir` is relative
   * to the dvc.yaml dir; file paths handed to `loadFile` are too.
   */
  loadFromVars(
    vars: unknown[],
    wdir: string,
    loadFile: LoadFile,
    opts: { stageName?: string; defaultFile?: string; exists?: (relPath: string) => boolean } = {},
  ): void {
    if (opts.defaultFile !== undefined) {
      const p = posix.normalize(posix.join(wdir, opts.defaultFile));
      if (opts.exists === undefined || opts.exists(p))
        this.mergeFrom(opts.defaultFile, wdir, loadFile);
    }
    const prefix =
      opts.stageName === undefined || opts.stageName === '' ? '' : `${opts.stageName}.`;
    vars.forEach((item, index) => {
      if (typeof item === 'string') this.mergeFrom(item, wdir, loadFile);
      else if (isPlainDict(item)) this.mergeUpdate(item, `${prefix}vars[${index}]`);
      else
        throw new InterpolationError(`expected str or dict in 'vars', got '${pyTypeName(item)}'`);
    });
  }

  /** Looks up a dotted/indexed expression. */
  select(expr: string): unknown {
    const segments = parseExpression(expr);
    const first = segments[0] ?? '';
    let node: unknown;
    if (this.overlay !== undefined && Object.hasOwn(this.overlay, first))
      node = this.overlay[first];
    else if (Object.hasOwn(this.data, first)) node = this.data[first];
    else throw new InterpolationError(`Could not find '${expr}'`);
    for (let i = 1; i < segments.length; i++) {
      const seg = segments[i] ?? '';
      if (Array.isArray(node)) {
        if (!/^[-+]?\d+$/.test(seg)) throw new InterpolationError(`Could not find '${expr}'`);
        let idx = Number(seg);
        if (idx < 0) idx += node.length;
        if (idx < 0 || idx >= node.length) throw new InterpolationError(`Could not find '${expr}'`);
        node = node[idx];
      } else if (isPlainDict(node) && Object.hasOwn(node, seg)) {
        node = node[seg];
      } else {
        throw new InterpolationError(`Could not find '${expr}'`);
      }
    }
    return node;
  }

  /**
   * Resolves every string of `src` recursively (dict keys too). `key` is the stage field being
   * resolved (`cmd`, `deps`, ...): with it, only primitives may be interpolated, except a dict in
   * `cmd`. `null` disables that check (foreach/matrix data, top-level sections).
   */
  resolve(src: unknown, key: string | null, config?: ParsingConfig): unknown {
    if (typeof src === 'string') return this.resolveStr(src, key, config);
    if (Array.isArray(src)) return src.map((v: unknown) => this.resolve(v, key, config));
    if (isPlainDict(src)) {
      const out: PlainDict = {};
      for (const [k, v] of Object.entries(src)) {
        out[toStr(this.resolveStr(k, key, config))] = this.resolve(v, key, config);
      }
      return out;
    }
    return src;
  }

  resolveStr(src: string, key: string | null, config?: ParsingConfig): unknown {
    const matches = getMatches(src);
    if (matches.length === 0) return src.includes('\\${') ? src.replaceAll('\\${', '${') : src;
    const only = matches[0];
    if (matches.length === 1 && only !== undefined && only.start === 0 && only.end === src.length) {
      const value = this.select(only.inner);
      validateValue(value, key);
      return value;
    }
    let buf = '';
    let index = 0;
    for (const m of matches) {
      const value = this.select(m.inner);
      validateValue(value, key);
      buf += src.slice(index, m.start) + toStr(value, config);
      index = m.end;
    }
    buf += src.slice(index);
    return buf.replaceAll('\\${', '${');
  }
}

function validateValue(value: unknown, key: string | null): void {
  if (key == null || key.includes('foreach')) return;
  if (value == null || value === undefined || isPrimitive(value)) return;
  if (isPlainDict(value) && key === 'cmd') return;
  throw new InterpolationError(`Cannot interpolate data of type '${pyTypeName(value)}'`);
}

function humanJoin(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

/** Syntax-checks every `${...}` in a tree (DVC does this once per stage/template). */
export function checkSyntax(src: unknown): void {
  if (typeof src === 'string') {
    for (const m of getMatches(src)) parseExpression(m.inner);
  } else if (Array.isArray(src)) {
    for (const v of src) checkSyntax(v);
  } else if (isPlainDict(src)) {
    for (const [k, v] of Object.entries(src)) {
      checkSyntax(k);
      checkSyntax(v);
    }
  }
}

/** True if any string in the tree contains `${...}`. */
export function hasInterpolation(src: unknown): boolean {
  if (typeof src === 'string') return isInterpolated(src);
  if (Array.isArray(src)) return src.some(hasInterpolation);
  if (isPlainDict(src))
    return Object.entries(src).some(([k, v]) => isInterpolated(k) || hasInterpolation(v));
  return false;
}

// ---------------------------------------------------------------------------------------------
// foreach / matrix

function isMapOrSeq(value: unknown): boolean {
  return Array.isArray(value) || isPlainDict(value);
}

export interface Iteration {
  /** The part of the generated name after `@`. */
  key: string;
  /** Top-level values set while resolving the template (`item`, and `key` when applicable). */
  values: PlainDict;
}

/** Expands resolved foreach data into iterations (later duplicates of a key replace earlier ones). */
export function foreachIterations(iterable: unknown): Iteration[] {
  const out = new Map<string, Iteration>();
  if (isPlainDict(iterable)) {
    for (const [k, v] of Object.entries(iterable))
      out.set(k, { key: k, values: { item: v, key: k } });
  } else if (Array.isArray(iterable)) {
    const composite = iterable.some(isMapOrSeq);
    iterable.forEach((v: unknown, i) => {
      const k = composite ? String(i) : toStr(v);
      out.set(k, { key: k, values: { item: v } });
    });
  } else {
    throw new InterpolationError(`expected list/dictionary, got ${pyTypeName(iterable)}`);
  }
  return [...out.values()];
}

/**
 * How many stages a resolved `foreach` or `matrix` value yields at most, without building them:
 * the length of the list or dictionary, or the product of the matrix's axes. Undefined for a
 * value foreachIterations or matrixIterations will reject anyway.
 */
export function iterationCount(value: unknown, isMatrix: boolean): number | undefined {
  const length = (v: unknown): number | undefined =>
    Array.isArray(v) ? v.length : isPlainDict(v) ? Object.keys(v).length : undefined;
  if (!isMatrix) return length(value);
  if (!isPlainDict(value)) return undefined;
  let product = 1;
  for (const axis of Object.values(value)) {
    const size = length(axis);
    if (size === undefined) return undefined;
    product *= size;
  }
  return product;
}

/** Cartesian product of the matrix vars in declared order. */
export function matrixIterations(matrix: PlainDict): Iteration[] {
  const names = Object.keys(matrix);
  const lists = names.map((n) => {
    const v = matrix[n];
    if (Array.isArray(v)) return v as unknown[];
    if (isPlainDict(v)) return Object.keys(v);
    throw new InterpolationError(`expected list for matrix '${n}', got ${pyTypeName(v)}`);
  });
  const out = new Map<string, Iteration>();
  const dict: PlainDict = {};
  const fragments: string[] = [];
  const rec = (depth: number): void => {
    if (depth === names.length) {
      const key = fragments.join('-');
      out.set(key, { key, values: { key, item: { ...dict } } });
      return;
    }
    const name = names[depth] ?? '';
    const list = lists[depth] ?? [];
    list.forEach((v: unknown, i) => {
      dict[name] = v;
      fragments[depth] = isMapOrSeq(v) ? `${name}${i}` : toStr(v);
      rec(depth + 1);
    });
  };
  rec(0);
  return [...out.values()];
}
