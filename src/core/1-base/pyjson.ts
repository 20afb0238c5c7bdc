/**
 * Byte-exact equivalent of Python's `json.dumps(value, sort_keys=True)` with default settings. DVC
 * hashes these bytes (`.dir` objects, stage md5, run-cache keys), so every detail matters.
 */
import { compareCodePoints, PyFloat, pyFloatRepr } from './python.js';

/** `number` is a Python int when `Number.isInteger`, a float otherwise. */
export type PyValue =
  null | boolean | number | string | PyFloat | PyValue[] | { [key: string]: PyValue };

export function pyJsonDumps(value: PyValue): string {
  const out: string[] = [];
  dump(value, out);
  return out.join('');
}

function dump(value: PyValue, out: string[]): void {
  if (value == null) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    out.push(Number.isInteger(value) ? BigInt(value).toString() : pyJsonFloat(value));
  } else if (typeof value === 'string') {
    out.push(pyJsonString(value));
  } else if (value instanceof PyFloat) {
    out.push(pyJsonFloat(value.value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(', ');
      dump(item, out);
    });
    out.push(']');
  } else {
    const keys = Object.keys(value).sort(compareCodePoints);
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(', ');
      out.push(pyJsonString(key), ': ');
      dump(value[key], out);
    });
    out.push('}');
  }
}

/** A float as Python's json writes it (`1.0`, `1e-05`, `NaN`, `Infinity`). */
export function pyJsonFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return pyFloatRepr(n);
}

const SHORT_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * ensure_ascii: everything outside printable ASCII is `\uXXXX` (lower-case hex). Escaping each UTF-16
 * unit separately produces exactly Python's surrogate pairs for astral characters.
 */
export function pyJsonString(s: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = s.replace(/[\\"\u0000-\u001f\u007f-\uffff]/g, (ch) => {
    return SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}
