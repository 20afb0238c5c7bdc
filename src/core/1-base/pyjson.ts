/**
 * Byte-exact equivalent of Python's `json.dumps(value, sort_keys=True)` with default settings. DVC
 * hashes these bytes (`.dir` objects, stage md5, run-cache keys), so every detail matters.
 */

/**
 * A Python float. YAML `1.0` is a float in Python but `1` in JavaScript; wrapping it keeps the
 * float formatting (`1.0`) that the hash depends on.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** `number` is a Python int when `Number.isInteger`, a float otherwise. */
export type PyValue =
  null | boolean | number | string | PyFloat | PyValue[] | { [key: string]: PyValue };

/**
 * Python `repr(float)`: the shortest digits that round-trip, in fixed notation when the decimal
 * exponent is in [-4, 16), scientific (`1e-05`, `1.5e+20`) otherwise.
 */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest round-trip digits, like Python's repr.
  const match = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(n).toExponential());
  if (match == null) throw new Error(`unexpected float format: ${n}`);
  const digits = match[1] + (match[2] ?? '');
  const exp = Number(match[3]);
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const expAbs = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${expAbs}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fracPart = digits.slice(exp + 1);
  return `${sign}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}

/** Python's ordering of strings: by code point, not by UTF-16 code unit (also for lone surrogates). */
export function compareCodePoints(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      // Compare whole code points: step back when the difference is in the low half of a pair.
      const prev = i > 0 ? a.charCodeAt(i - 1) : 0;
      const at = prev >= 0xd800 && prev <= 0xdbff ? i - 1 : i;
      const diff = a.codePointAt(at)! - b.codePointAt(at)!;
      // Equal only when the high surrogate before i is lone in both: then i starts a code point.
      return diff !== 0 ? diff : a.codePointAt(i)! - b.codePointAt(i)!;
    }
  }
  return a.length - b.length;
}

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
