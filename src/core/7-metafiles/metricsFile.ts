import { parse as parseToml, TomlDate } from 'smol-toml';
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { SluiceError } from '../1-base/errors.js';
import { PyFloat, pyStr, pyTruthy } from '../1-base/python.js';

/**
 * Reading metrics files as DVC 3 does (dvc/repo/metrics/show.py, dvc/utils/serialize):
 * the loader is chosen by extension (.json, .toml, .py, anything else YAML — .csv/.tsv included),
 * numbers keep their int/float distinction (`PyFloat` for integral floats), and only
 * int/float/bool/str leaves survive (`extractMetrics`).
 */

/** A metric leaf: number (int, or float when not integral), integral float, string, bool. */
export type MetricScalar = number | PyFloat | string | boolean;

/** What one metrics file yields: a nested mapping of leaves, or a bare leaf (`m.yaml` = `1`). */
export type MetricsData = MetricScalar | MetricTree;
export interface MetricTree {
  [key: string]: MetricsData;
}

/** The DVC exception name, so `--json` output can report `{"type": …, "msg": …}` like DVC. */
export type MetricsFileErrorType =
  | 'YAMLFileCorruptedError'
  | 'JSONFileCorruptedError'
  | 'TOMLFileCorruptedError'
  | 'PythonFileCorruptedError';

/** A metrics/params file that cannot be parsed. `message` is one line. */
export class MetricsFileError extends SluiceError {
  readonly type: MetricsFileErrorType;
  readonly path: string;
  readonly reason: string;

  constructor(type: MetricsFileErrorType, path: string, reason: string) {
    const kind = type.slice(0, type.indexOf('FileCorruptedError'));
    super('FAILED', `unable to read: '${path}', ${kind} file structure is corrupted`, {
      hint: reason,
    });
    this.type = type;
    this.path = path;
    this.reason = reason;
  }
}

function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

function decodeUtf8(path: string, content: Buffer, type: MetricsFileErrorType): string {
  if (content.includes(0)) throw new MetricsFileError(type, path, 'binary content');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(content);
  } catch {
    throw new MetricsFileError(type, path, 'not valid UTF-8');
  }
}

/**
 * Parses a structured file by extension, as DVC's `load_path` does. Returns plain data:
 * objects, arrays, numbers (`PyFloat` for integral floats), strings, booleans, null; TOML dates
 * come back as `TomlDate`. Throws `MetricsFileError`.
 */
export function loadStructuredFile(path: string, content: Buffer): unknown {
  switch (extensionOf(path)) {
    case '.json':
      return parsePyJson(path, decodeUtf8(path, content, 'JSONFileCorruptedError'));
    case '.toml':
      return parseTomlFile(path, decodeUtf8(path, content, 'TOMLFileCorruptedError'));
    case '.py':
      return parsePyFile(path, decodeUtf8(path, content, 'PythonFileCorruptedError'));
    default:
      return parseYamlData(path, decodeUtf8(path, content, 'YAMLFileCorruptedError'));
  }
}

/**
 * One metrics file's data as `dvc metrics show --json` reports it under `data`: parsed,
 * pruned to scalar leaves, and `{}` when that leaves nothing or a falsy scalar (DVC's `val or {}`).
 */
export function parseMetricsFile(path: string, content: Buffer): MetricsData {
  const extracted = extractMetrics(loadStructuredFile(path, content));
  return extracted === undefined || !pyTruthy(extracted) ? {} : extracted;
}

/** DVC's `_extract_metrics`: keeps int/float/bool/str leaves; drops lists, null, dates, `{}`. */
export function extractMetrics(value: unknown): MetricsData | undefined {
  if (isMetricScalar(value)) return value;
  if (!isPlainObject(value)) return undefined;
  const entries: Array<[string, MetricsData]> = [];
  for (const [key, val] of Object.entries(value)) {
    const m = extractMetrics(val);
    if (m === undefined) continue;
    if (typeof m === 'object' && !(m instanceof PyFloat) && Object.keys(m).length === 0) continue;
    entries.push([key, m]);
  }
  return Object.fromEntries<MetricsData>(entries);
}

export function isMetricScalar(value: unknown): value is MetricScalar {
  return (
    typeof value === 'number' ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    value instanceof PyFloat
  );
}

/** A mapping (not an array, not a PyFloat, not a date). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value == null) return false;
  if (Array.isArray(value) || value instanceof PyFloat || value instanceof Date) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto == null;
}

/**
 * Flattens nested mappings with `.`-joined keys, as `flatten_dict(reducer="dot")`: leaves that
 * are not mappings are kept as they are (lists included), empty mappings vanish. A bare scalar
 * becomes `{"": value}` (the unnamed metric of `dvc metrics show`).
 */
export function flattenMetrics(data: unknown): Record<string, unknown> {
  if (!isPlainObject(data)) return { '': data };
  const out: Array<[string, unknown]> = [];
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [key, val] of Object.entries(obj)) {
      const name = prefix === '' ? key : `${prefix}.${key}`;
      if (isPlainObject(val)) {
        walk(val, name);
      } else {
        out.push([name, val]);
      }
    }
  };
  walk(data, '');
  return Object.fromEntries(out);
}

// ---------------------------------------------------------------------------------------------
// YAML

const FLOAT_SOURCE =
  /^[-+]?(\.[0-9]|[0-9][0-9_]*(\.|[eE]))|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
const MAX_YAML_NODES = 1_000_000;

/** YAML (1.2 core schema, as ruamel's safe loader) with integral floats as `PyFloat`. */
export function parseYamlData(path: string, text: string): unknown {
  let doc: Document;
  try {
    doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    throw new MetricsFileError('YAMLFileCorruptedError', path, oneLine(error));
  }
  if (doc.errors.length > 0) {
    throw new MetricsFileError('YAMLFileCorruptedError', path, oneLine(doc.errors[0]));
  }
  const tabLine = strayTabLine(text);
  if (tabLine !== undefined) {
    throw new MetricsFileError(
      'YAMLFileCorruptedError',
      path,
      `found character '\\t' that cannot start any token (line ${tabLine})`,
    );
  }
  let budget = MAX_YAML_NODES;
  const convert = (node: unknown, depth: number): unknown => {
    if (--budget < 0 || depth > 1000) {
      throw new MetricsFileError('YAMLFileCorruptedError', path, 'document too large or deep');
    }
    if (isAlias(node)) return convert(node.resolve(doc), depth + 1);
    if (isMap(node)) {
      const entries: Array<[string, unknown]> = [];
      for (const pair of node.items) {
        const key: unknown = isScalar(pair.key) ? pair.key.value : convert(pair.key, depth + 1);
        entries.push([keyString(key), convert(pair.value, depth + 1)]);
      }
      return Object.fromEntries(entries);
    }
    if (isSeq(node)) return node.items.map((item) => convert(item, depth + 1));
    if (isScalar(node)) {
      const value: unknown = node.value;
      if (typeof value === 'number' && Number.isInteger(value)) {
        const source = node.source ?? '';
        if (node.tag === 'tag:yaml.org,2002:float' || FLOAT_SOURCE.test(source)) {
          return new PyFloat(value);
        }
      }
      if (typeof value === 'bigint') return Number(value);
      return value;
    }
    return null;
  };
  return convert(doc.contents, 0);
}

/**
 * ruamel (DVC's loader) rejects a tab anywhere outside a quoted scalar, where the `yaml` package
 * takes it as a space: a TSV metrics file is an error in DVC 3. Documents with block scalars
 * (`|`, `>`), whose content may hold tabs, are not checked. Returns the 1-based line.
 */
function strayTabLine(text: string): number | undefined {
  if (!text.includes('\t') || /[|>][-+0-9]*[ \t]*(#.*)?$/m.test(text)) return undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote !== undefined) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '\t') {
        return n + 1;
      } else if (c === '#' && (i === 0 || line[i - 1] === ' ')) {
        break;
      }
    }
  }
  return undefined;
}

function keyString(key: unknown): string {
  // Complex keys (`? [a, b]`) cannot be metric names; keep something stable.
  if (typeof key === 'object' && key != null && !(key instanceof PyFloat)) {
    return JSON.stringify(key) ?? 'None';
  }
  return pyStr(key);
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

// ---------------------------------------------------------------------------------------------
// TOML

function parseTomlFile(path: string, text: string): unknown {
  let data: unknown;
  try {
    data = parseToml(text, { integersAsBigInt: true });
  } catch (error) {
    throw new MetricsFileError('TOMLFileCorruptedError', path, oneLine(error));
  }
  const convert = (value: unknown): unknown => {
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'number') return Number.isInteger(value) ? new PyFloat(value) : value;
    if (value instanceof TomlDate) return value;
    if (Array.isArray(value)) return value.map(convert);
    if (typeof value === 'object' && value != null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    }
    return value;
  };
  return convert(data);
}

// ---------------------------------------------------------------------------------------------
// JSON, as Python's json.loads: NaN/Infinity accepted, floats stay floats, last duplicate wins.

export function parsePyJson(path: string, text: string): unknown {
  let pos = 0;
  const fail = (what: string): never => {
    throw new MetricsFileError('JSONFileCorruptedError', path, `${what} at char ${pos}`);
  };
  const ws = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('Unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('Invalid control character');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          pos += 2;
        } else if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else {
          fail('Invalid \\escape');
        }
        start = pos;
        continue;
      }
      pos++;
    }
  };
  const parseValue = (depth: number): unknown => {
    if (depth > 1000) fail('Nesting too deep');
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries = new Map<string, unknown>();
      ws();
      if (text[pos] === '}') {
        pos++;
        return {};
      }
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('Expecting property name enclosed in double quotes');
        const key = parseString();
        ws();
        if (text[pos] !== ':') fail("Expecting ':' delimiter");
        pos++;
        entries.set(key, parseValue(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return Object.fromEntries(entries);
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === '[') {
      pos++;
      const items: unknown[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return items;
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return items;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === '"') return parseString();
    const rest = text.slice(pos, pos + 9);
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (rest.startsWith(word)) {
        pos += word.length;
        return value;
      }
    }
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(pos, pos + 400));
    if (m == null) return fail('Expecting value');
    pos += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined) return n;
    return Number.isInteger(n) ? new PyFloat(n) : n;
  };
  const value = parseValue(0);
  ws();
  if (pos !== text.length) fail('Extra data');
  return value;
}

// ---------------------------------------------------------------------------------------------
// Python: top-level `NAME = literal` and one level of `class Name:` attributes (DVC's load_py).

const PY_ASSIGN = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[^=]+)?=\s*(.+?)\s*(#.*)?$/;

function parsePyLiteral(src: string): { ok: true; value: unknown } | { ok: false } {
  const s = src.trim();
  if (s === 'True') return { ok: true, value: true };
  if (s === 'False') return { ok: true, value: false };
  if (s === 'None') return { ok: true, value: null };
  if (/^[-+]?[0-9][0-9_]*$/.test(s)) return { ok: true, value: Number(s.replace(/_/g, '')) };
  if (/^[-+]?([0-9][0-9_]*)?\.?[0-9_]*([eE][-+]?[0-9]+)?$/.test(s) && /[0-9]/.test(s)) {
    const n = Number(s.replace(/_/g, ''));
    if (Number.isNaN(n)) return { ok: false };
    return { ok: true, value: Number.isInteger(n) ? new PyFloat(n) : n };
  }
  const q = /^(['"])(.*)\1$/.exec(s);
  if (q != null && !q[2].includes(q[1])) {
    return { ok: true, value: q[2].replace(/\\(['"\\])/g, '$1').replace(/\\n/g, '\n') };
  }
  // Lists, dicts, expressions: not metrics; keep a marker DVC would drop anyway.
  return { ok: true, value: [] };
}

function parsePyFile(path: string, text: string): unknown {
  const top: Array<[string, unknown]> = [];
  let cls: { name: string; entries: Array<[string, unknown]>; indent: number | null } | null = null;
  const closeClass = (): void => {
    if (cls != null) top.push([cls.name, Object.fromEntries(cls.entries)]);
    cls = null;
  };
  const lines = text.split(/\r?\n/);
  for (const raw of lines) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      closeClass();
      const c = /^class\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*:\s*$/.exec(line);
      if (c != null) {
        cls = { name: c[1], entries: [], indent: null };
        continue;
      }
      const a = PY_ASSIGN.exec(line);
      if (a != null) {
        const lit = parsePyLiteral(a[2]);
        if (lit.ok) top.push([a[1], lit.value]);
      } else if (!/^(import|from|def|@|if|for|while|with|try|print|[)\]}])/.test(line)) {
        throw new MetricsFileError('PythonFileCorruptedError', path, `cannot parse: ${line}`);
      }
      continue;
    }
    const current = cls as { entries: Array<[string, unknown]>; indent: number | null } | null;
    if (current != null) {
      current.indent ??= indent;
      if (indent !== current.indent) continue;
      const a = PY_ASSIGN.exec(line);
      if (a != null) {
        const lit = parsePyLiteral(a[2]);
        if (lit.ok) current.entries.push([a[1], lit.value]);
      }
    }
  }
  closeClass();
  return Object.fromEntries(top);
}

// ---------------------------------------------------------------------------------------------
// DVC 0.x typed metrics (`metric: {type, xpath}` on an out), read as `dvc metrics show` did.

export type LegacyMetricType = 'raw' | 'json' | 'csv' | 'tsv' | 'hcsv' | 'htsv';

/**
 * Extracts a 0.x typed metric from the file text:
 * - `raw` (or no type): the text, trimmed; `xpath` is ignored.
 * - `json`: a small JSONPath subset (`acc`, `a.b`, `$.a.b`, `a[0]`, `a.*`); returns the list of
 *   matches, as jsonpath's `find` did (`[0.9]`).
 * - `csv`/`tsv`: `xpath` is `row,col` (0-based ints, either part may be empty).
 * - `hcsv`/`htsv`: the first row names the columns; `xpath` is `row,column_name`.
 *   With both parts: `[cell]`; only a column: that column of every row; only a row: that row's
 *   values; neither: every row's values.
 */
export function extractXpath(
  type: LegacyMetricType | undefined,
  xpath: string | undefined,
  content: string,
): unknown {
  switch (type) {
    case 'json':
      return jsonPathFind(parsePyJson('metric', content), xpath ?? '$');
    case 'csv':
      return readXsv(content, xpath, ',', false);
    case 'tsv':
      return readXsv(content, xpath, '\t', false);
    case 'hcsv':
      return readXsv(content, xpath, ',', true);
    case 'htsv':
      return readXsv(content, xpath, '\t', true);
    default:
      return content.trim();
  }
}

function jsonPathFind(data: unknown, path: string): unknown[] {
  const steps: Array<string | number> = [];
  const re = /\.?([^.[\]]+)|\[(\d+|\*|'[^']*'|"[^"]*")\]/g;
  let p = path.trim();
  if (p.startsWith('$')) p = p.slice(1);
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) != null) {
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) {
      const s = m[2];
      steps.push(/^\d+$/.test(s) ? Number(s) : s === '*' ? '*' : s.slice(1, -1));
    }
  }
  let current: unknown[] = [data];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step === '*') {
        if (Array.isArray(node)) next.push(...(node as unknown[]));
        else if (isPlainObject(node)) next.push(...Object.values(node));
      } else if (typeof step === 'number') {
        if (Array.isArray(node) && step < node.length) next.push(node[step]);
      } else if (isPlainObject(node) && Object.hasOwn(node, step)) {
        next.push(node[step]);
      }
    }
    current = next;
  }
  return current;
}

/** Minimal RFC 4180 reader (quotes, doubled quotes, CRLF), like Python's csv module. */
function parseDelimited(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  let sawAny = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      sawAny = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
      sawAny = true;
    } else if (c === '\n' || c === '\r') {
      if (sawAny || field !== '') row.push(field);
      rows.push(row);
      row = [];
      field = '';
      sawAny = false;
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else {
      field += c;
      sawAny = true;
    }
    i++;
  }
  if (sawAny || field !== '') {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function readXsv(
  content: string,
  xpath: string | undefined,
  delimiter: string,
  header: boolean,
): unknown {
  const parts = (xpath ?? '').split(',');
  const rowPart = parts[0] ?? '';
  const colPart = parts.length > 1 ? (parts[1] ?? '') : '';
  const row = rowPart === '' ? null : Number.parseInt(rowPart, 10);
  let rows: Array<string[] | Record<string, string>> = parseDelimited(content, delimiter);
  let col: string | number | null = colPart === '' ? null : colPart;
  if (header) {
    // csv.DictReader: blank lines skipped, the first row names the fields.
    const nonEmpty = (rows as string[][]).filter((r) => r.length > 0);
    const names = nonEmpty[0] ?? [];
    rows = nonEmpty
      .slice(1)
      .map((r) => Object.fromEntries(names.map((name, k) => [name, r[k] ?? ''])));
  } else if (col != null) {
    col = Number.parseInt(col, 10);
  }
  const cell = (r: string[] | Record<string, string> | undefined, c: string | number): unknown =>
    r === undefined ? undefined : Array.isArray(r) ? r[c as number] : r[c as string];
  const values = (r: string[] | Record<string, string> | undefined): unknown =>
    r === undefined ? undefined : Array.isArray(r) ? r : Object.values(r);
  const at = (index: number): string[] | Record<string, string> | undefined =>
    rows[index < 0 ? rows.length + index : index];
  if (row != null && Number.isNaN(row)) return [];
  if (col != null && row != null) return [cell(at(row), col)];
  if (col != null) return rows.map((r) => cell(r, col));
  if (row != null) return values(at(row));
  return rows.map(values);
}
