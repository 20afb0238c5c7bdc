/**
 * Params files (params.yaml, .json, .toml, .py) and the params part of status (doc 3.5).
 * Floats are kept as `PyFloat` so that `1.0` stays distinct from `1` when dumped.
 */
import { posix } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { type Alias, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { NESTING_TOO_DEEP, yamlDocumentProblem, yamlNestingTooDeep } from './yaml/limits.js';
import { SluiceError } from '../1-base/errors.js';
import { pyEquals, PyFloat, pyStr } from '../1-base/python.js';

export type ParamsTree = Record<string, unknown>;
export type ParamStatus = 'new' | 'deleted' | 'modified';

const FLOAT_TAG = 'tag:yaml.org,2002:float';
const INT_TAG = 'tag:yaml.org,2002:int';

/** The value of a parsed YAML scalar, with floats as `PyFloat`. */
export function yamlScalarValue(node: {
  value: unknown;
  tag?: string | undefined;
  format?: string | undefined;
  source?: string | undefined;
}): unknown {
  const v = node.value;
  if (typeof v !== 'number') return v;
  const src = node.source ?? '';
  const isFloat =
    node.tag === FLOAT_TAG ||
    (node.tag !== INT_TAG &&
      node.format !== 'HEX' &&
      node.format !== 'OCT' &&
      (/[.eEnN]/.test(src) || !Number.isInteger(v)));
  return isFloat ? new PyFloat(v) : v;
}

/** Converts a YAML node tree into plain values (mappings become objects; keys stringified). */
export function yamlNodeToValue(node: unknown, depth = 0): unknown {
  if (depth > 1000) throw new Error('YAML nesting too deep');
  if (node == null || node === undefined) return null;
  if (isAlias(node)) return null; // resolved by the caller via `resolveAliases`
  if (isScalar(node)) return yamlScalarValue(node);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = isScalar(pair.key) ? pair.key.value : yamlNodeToValue(pair.key, depth + 1);
      out[pyKeyStr(k)] = yamlNodeToValue(pair.value, depth + 1);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((i) => yamlNodeToValue(i, depth + 1));
  return null;
}

/** Parses YAML text into plain values (floats as PyFloat); aliases are expanded. */
export function parseYamlValue(text: string, label: string): unknown {
  if (yamlNestingTooDeep(text)) {
    throw new SluiceError('FAILED', `unable to read '${label}': ${NESTING_TOO_DEEP}`);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err !== undefined)
    throw new SluiceError('FAILED', `unable to read '${label}': ${err.message}`);
  const bounded = yamlDocumentProblem(doc);
  if (bounded !== undefined)
    throw new SluiceError('FAILED', `unable to read '${label}': ${bounded}`);
  return yamlNodeToValue(expandAliases(doc.contents, doc));
}

/** Replaces aliases by (a reference to) their anchored node so that the converters need not care. */
export function expandAliases(node: unknown, doc: Parameters<Alias['resolve']>[0]): unknown {
  const seen = new Set<unknown>();
  const walk = (n: unknown): unknown => {
    if (isAlias(n)) return walk(n.resolve(doc));
    if (seen.has(n)) return n;
    seen.add(n);
    if (isMap(n)) for (const p of n.items) if (isPair(p)) p.value = walk(p.value);
    if (isSeq(n)) n.items = n.items.map(walk);
    return n;
  };
  return walk(node);
}

function tomlToValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return new PyFloat(v);
  if (Array.isArray(v)) return v.map(tomlToValue);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v != null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = tomlToValue(x);
    return out;
  }
  return v;
}

function badParams(relPath: string, detail: string): SluiceError {
  return new SluiceError('FAILED', `unable to read parameters from '${relPath}': ${detail}`);
}

/** Parses a params file by extension: .json, .toml, .py, else YAML. */
export function parseParamsFile(relPath: string, text: string): ParamsTree {
  const ext = posix.extname(relPath).toLowerCase();
  let data: unknown;
  try {
    if (ext === '.toml') data = tomlToValue(parseToml(text, { integersAsBigInt: true }));
    else if (ext === '.py') data = parsePythonParams(text);
    else if (ext === '.json') {
      // The YAML parser keeps `1.0` as a float, which JSON.parse would not.
      if (yamlNestingTooDeep(text)) throw new Error(NESTING_TOO_DEEP);
      const doc = parseDocument(text, { uniqueKeys: false, schema: 'core' });
      const err = doc.errors[0];
      if (err !== undefined) throw new Error(err.message);
      data = yamlNodeToValue(doc.contents);
    } else data = parseYamlValue(text, relPath);
  } catch (error) {
    throw badParams(relPath, error instanceof Error ? error.message : String(error));
  }
  if (data == null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data) || data instanceof PyFloat) {
    throw badParams(relPath, 'expected a dictionary');
  }
  return data as ParamsTree;
}

/** Looks up a dotted key path (`train.lr`, `layers.0`) like dpath.get; undefined if absent. */
export function getParamValue(tree: unknown, dottedKey: string): unknown {
  let node: unknown = tree;
  for (const seg of dottedKey.split('.')) {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(seg)) return undefined;
      const idx = Number(seg);
      if (idx >= node.length) return undefined;
      node = node[idx];
    } else if (
      typeof node === 'object' &&
      node != null &&
      !(node instanceof PyFloat) &&
      Object.hasOwn(node, seg)
    ) {
      node = (node as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
  }
  return node;
}

/** The values DVC records for a params dep: `{key: value}` for the found keys, or the whole file. */
export function readParams(tree: ParamsTree, keys: string[] | null): Record<string, unknown> {
  if (keys == null || keys.length === 0) return tree;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = getParamValue(tree, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Per-key status of a params dep. `old` is the lock value (`{key: value}`, or the whole top-level
 * mapping when the whole file is tracked), `cur` the current file tree. `keys` null = whole file.
 * With `old` undefined every key is `new`; with `cur` undefined every key is `deleted` (DVC reports
 * those two cases for the file as a whole: see `paramsDepStatus`).
 */
export function diffParams(
  old: Record<string, unknown> | undefined,
  cur: Record<string, unknown> | undefined,
  keys: string[] | null,
): Record<string, ParamStatus> {
  const wanted = keys != null && keys.length > 0 ? keys : null;
  const actual = cur === undefined ? {} : readParams(cur, wanted);
  const info = old ?? {};
  const params = wanted ?? [...new Set([...Object.keys(actual), ...Object.keys(info)])];
  const status: Record<string, ParamStatus> = {};
  for (const p of params) {
    if (!Object.hasOwn(actual, p)) status[p] = 'deleted';
    else if (!Object.hasOwn(info, p)) status[p] = 'new';
    else if (!pyEquals(actual[p], info[p])) status[p] = 'modified';
  }
  return status;
}

/**
 * DVC's `ParamsDependency.workspace_status` for one file: `'deleted'` if the file is missing,
 * `'new'` if there is no lock value, else the per-key changes (empty = unchanged).
 */
export function paramsDepStatus(
  old: Record<string, unknown> | undefined,
  cur: Record<string, unknown> | undefined,
  keys: string[] | null,
): ParamStatus | Record<string, ParamStatus> {
  if (cur === undefined) return 'deleted';
  if (old === undefined) return 'new';
  return diffParams(old, cur, keys);
}

// ---------------------------------------------------------------------------------------------
// Python params files: top-level `NAME = literal`, class bodies as nested dicts, and
// `self.x = literal` inside `__init__` (as dvc/utils/serialize/_py.py does).

interface LogicalLine {
  indent: number;
  text: string;
}

function splitLogicalLines(src: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let buf = '';
  let depth = 0;
  let i = 0;
  const push = (): void => {
    const stripped = buf.replace(/\s+$/, '');
    if (stripped.trim() !== '') {
      const indent = stripped.length - stripped.trimStart().length;
      lines.push({ indent, text: stripped.trimStart() });
    }
    buf = '';
  };
  while (i < src.length) {
    const c = src[i] ?? '';
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = src.startsWith(c.repeat(3), i);
      const q = triple ? c.repeat(3) : c;
      let j = i + q.length;
      while (j < src.length && !src.startsWith(q, j)) {
        if (src[j] === '\\') j++;
        if (!triple && src[j] === '\n') break;
        j++;
      }
      buf += src.slice(i, j + q.length);
      i = j + q.length;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      buf += ' ';
      i += 2;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth = Math.max(0, depth - 1);
    if (c === '\n' && depth === 0) push();
    else buf += c === '\n' ? ' ' : c;
    i++;
  }
  push();
  return lines;
}

class PyLiteralError extends Error {}

function parsePyLiteral(text: string): unknown {
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && /\s/.test(text[pos] ?? '')) pos++;
  };
  const parseValue = (): unknown => {
    ws();
    const c = text[pos] ?? '';
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      pos++;
      const items: unknown[] = [];
      ws();
      while (text[pos] !== close) {
        items.push(parseValue());
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) throw new PyLiteralError('expected , or ' + close);
        ws();
      }
      pos++;
      return items;
    }
    if (c === '{') {
      pos++;
      const out: Record<string, unknown> = {};
      const items: unknown[] = [];
      let isSet = false;
      ws();
      while (text[pos] !== '}') {
        const k = parseValue();
        ws();
        if (text[pos] === ':') {
          pos++;
          out[typeof k === 'string' ? k : pyKeyStr(k)] = parseValue();
        } else {
          isSet = true;
          items.push(k);
        }
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') throw new PyLiteralError('expected , or }');
        ws();
      }
      pos++;
      return isSet ? items : out;
    }
    const strMatch = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(text.slice(pos));
    if (strMatch != null) {
      const prefix = (strMatch[1] ?? '').toLowerCase();
      if (prefix.includes('f')) throw new PyLiteralError('f-string');
      const q = strMatch[2] ?? '"';
      pos += strMatch[0].length;
      let s = '';
      while (pos < text.length && !text.startsWith(q, pos)) {
        const ch = text[pos] ?? '';
        if (ch === '\\' && !prefix.includes('r')) {
          const n = text[pos + 1] ?? '';
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            "'": "'",
            '"': '"',
            '0': '\0',
          };
          s += map[n] ?? `\\${n}`;
          pos += 2;
          continue;
        }
        s += ch;
        pos++;
      }
      pos += q.length;
      ws();
      // Adjacent literals concatenate.
      if (/^[rRbBuU]{0,2}['"]/.test(text.slice(pos))) return s + String(parseValue());
      return s;
    }
    const word = /^[-+]?\s*[\w.]+(?:[eE][-+]?\d+)?/.exec(text.slice(pos));
    if (word == null) throw new PyLiteralError('unexpected character');
    pos += word[0].length;
    const w = word[0].replace(/\s+/g, '');
    if (w === 'True') return true;
    if (w === 'False') return false;
    if (w === 'None') return null;
    const body = w.replace(/^[-+]/, '').replaceAll('_', '');
    const neg = w.startsWith('-');
    if (/^0[xX][0-9a-fA-F]+$/.test(body)) return (neg ? -1 : 1) * parseInt(body.slice(2), 16);
    if (/^0[oO][0-7]+$/.test(body)) return (neg ? -1 : 1) * parseInt(body.slice(2), 8);
    if (/^0[bB][01]+$/.test(body)) return (neg ? -1 : 1) * parseInt(body.slice(2), 2);
    if (/^\d+$/.test(body)) return (neg ? -1 : 1) * Number(body);
    if (/^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(body))
      return new PyFloat((neg ? -1 : 1) * Number(body));
    throw new PyLiteralError(`not a literal: ${w}`);
  };
  const value = parseValue();
  ws();
  if (pos !== text.length) throw new PyLiteralError('trailing text');
  return value;
}

/** A key as Python's `str()` writes it; complex keys (`? [a, b]`) as JSON, to stay stable. */
function pyKeyStr(k: unknown): string {
  if (typeof k === 'object' && k != null && !(k instanceof PyFloat)) return JSON.stringify(k);
  return pyStr(k);
}

const ASSIGN_RE = /^(self\.)?([A-Za-z_]\w*)\s*(?::\s*[^=]+?)?\s*=(?!=)\s*(.*)$/s;

function parsePyBlock(lines: LogicalLine[], onlySelf: boolean): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? { indent: 0, text: '' };
    // The indented body of a compound statement.
    let j = i + 1;
    while (j < lines.length && (lines[j]?.indent ?? 0) > line.indent) j++;
    const body = lines.slice(i + 1, j);
    const classMatch = /^class\s+([A-Za-z_]\w*)\b.*:$/.exec(line.text);
    const defMatch = /^def\s+__init__\s*\(.*:$/.exec(line.text);
    if (classMatch != null) {
      result[classMatch[1] ?? ''] = parsePyBlock(body, false);
    } else if (defMatch != null) {
      Object.assign(result, parsePyBlock(body, true));
    } else if (body.length === 0) {
      const m = ASSIGN_RE.exec(line.text);
      if (m != null && (m[1] !== undefined) === onlySelf) {
        try {
          result[m[2] ?? ''] = parsePyLiteral(m[3] ?? '');
        } catch (error) {
          if (!(error instanceof PyLiteralError)) throw error;
        }
      }
    }
    i = j;
  }
  return result;
}

/** Literal assignments of a Python params file, as DVC reads them. */
export function parsePythonParams(text: string): Record<string, unknown> {
  return parsePyBlock(splitLogicalLines(text), false);
}
