/**
 * Python 3 behaviour that DVC's output depends on, in one place: `repr()` and `str()` of values,
 * `str.isprintable()`, `str.isspace()` and `str.strip()`, `==`, truthiness, the ordering of str,
 * and the text of floats (`repr(float)`, `round()`). Values are the trees the metafile and params
 * readers build: null, boolean, number (a Python int when `Number.isInteger`, else a float),
 * bigint, string, `PyFloat`, arrays and plain objects (dicts).
 * `test/oracle/core/1-base/python.test.ts` compares these with the system's python3.
 */
import { UNPRINTABLE_RANGES } from './pythonUnprintable.js';

/**
 * A Python float. YAML `1.0` is a float in Python but `1` in JavaScript; wrapping it keeps the
 * float formatting (`1.0`) that hashes and messages depend on.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

// ---------------------------------------------------------------------------------------------
// Numbers

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

/** Python `str(int)`: all the digits (`String(1e21)` would be `1e+21`). */
export function pyIntStr(n: number | bigint): string {
  return typeof n === 'bigint' || Math.abs(n) >= 1e21 ? BigInt(n).toString() : String(n);
}

/**
 * Python's `round(x, ndigits)` for floats: correctly rounded, ties to even on the exact binary
 * value (`round(0.015625, 5)` is `0.01562`).
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits < 0) {
    const scale = 10 ** -ndigits;
    const q = x / scale;
    const r = Math.round(q);
    const even = Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : r;
    return even * scale;
  }
  // Every double with |x| >= 2**52 is an integer, and 100 is toFixed's limit.
  if (Math.abs(x) >= 2 ** 52 || ndigits > 70) return x;
  const abs = Math.abs(x);
  let text = abs.toFixed(ndigits);
  // A tie has at most ndigits+1 decimals, all exact; toFixed resolves ties upwards.
  const longer = abs.toFixed(Math.min(100, ndigits + 30));
  const tieDigits = longer.slice(0, longer.length - 29);
  if (/5$/.test(tieDigits) && /^0*$/.test(longer.slice(longer.length - 29))) {
    const truncated = tieDigits.slice(0, -1).replace(/\.$/, '');
    const lastDigit = Number(truncated[truncated.length - 1]);
    if (lastDigit % 2 === 0) text = truncated;
  }
  const rounded = Number(text);
  return x < 0 ? -rounded : rounded;
}

// ---------------------------------------------------------------------------------------------
// str

/** Starts and ends (inclusive) of the unprintable ranges, parsed on first use. */
let unprintable: { starts: Uint32Array; ends: Uint32Array } | undefined;

function unprintableRanges(): { starts: Uint32Array; ends: Uint32Array } {
  if (unprintable === undefined) {
    const parts = UNPRINTABLE_RANGES.split(',');
    const starts = new Uint32Array(parts.length);
    const ends = new Uint32Array(parts.length);
    parts.forEach((part, i) => {
      const [first, last] = part.split('-');
      starts[i] = parseInt(first ?? '', 16);
      ends[i] = parseInt(last ?? first ?? '', 16);
    });
    unprintable = { starts, ends };
  }
  return unprintable;
}

/** Python's `str.isprintable()` of one code point (lone surrogates are not printable). */
export function pyIsPrintable(codePoint: number): boolean {
  if (codePoint >= 0x20 && codePoint < 0x7f) return true;
  const { starts, ends } = unprintableRanges();
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (codePoint < starts[mid]) hi = mid - 1;
    else if (codePoint > ends[mid]) lo = mid + 1;
    else return false;
  }
  return true;
}

/**
 * Python `repr()` of a str: single quotes unless the text has a `'` and no `"`; backslash, the
 * quote, `\t`, `\n` and `\r` escaped, and every character `isprintable()` refuses as `\xhh`,
 * `\uhhhh` or `\Uhhhhhhhh`.
 */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (pyIsPrintable(cp)) out += ch;
    else if (cp < 0x100) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + quote;
}

/**
 * Python's `str.isspace()` of one code point: bidirectional class WS, B or S, or category Zs.
 * Unlike JavaScript's `\s` it has the separators \x1c-\x1f and \x85, and not U+FEFF.
 */
export function pyIsSpace(codePoint: number): boolean {
  return (
    (codePoint >= 0x09 && codePoint <= 0x0d) ||
    (codePoint >= 0x1c && codePoint <= 0x20) ||
    codePoint === 0x85 ||
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

/** Python's `str.strip()` with no argument. Every space is in the BMP: UTF-16 units suffice. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && pyIsSpace(s.charCodeAt(start))) start++;
  while (end > start && pyIsSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
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

// ---------------------------------------------------------------------------------------------
// Values

/** A dict of a parsed tree: a plain object (not an array, a `PyFloat` or a date). */
function isDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value == null) return false;
  if (Array.isArray(value) || value instanceof PyFloat || value instanceof Date) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto == null;
}

/** Python `repr()` of a parsed value. Dates (TOML) show as the repr of their ISO text. */
export function pyRepr(value: unknown): string {
  if (value == null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return pyIntStr(value);
  if (typeof value === 'number')
    return Number.isInteger(value) ? pyIntStr(value) : pyFloatRepr(value);
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isDict(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  if (value instanceof Date) return pyStrRepr(value.toISOString());
  return pyStrRepr(JSON.stringify(value) ?? '');
}

/** Python `str()`: like repr, except that a str is itself. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** The number a Python bool, int or float compares as. */
function pyNumber(v: unknown): number | bigint | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return v.value;
  return undefined;
}

/**
 * Python `==` on parsed values: 1 == 1.0 == True, ints and floats compared exactly, nan equal to
 * nothing, dicts equal whatever their order.
 */
export function pyEquals(a: unknown, b: unknown): boolean {
  const x = pyNumber(a);
  const y = pyNumber(b);
  if (x !== undefined || y !== undefined) {
    // eslint-disable-next-line eqeqeq -- loose equality compares number with bigint by value
    return x !== undefined && y !== undefined && x == y;
  }
  if (a == null || b == null) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item: unknown, i) => pyEquals(item, b[i]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return a === b;
}

/** Python truthiness: None, False, zero (not nan), and empty str, list and dict are false. */
export function pyTruthy(value: unknown): boolean {
  if (value == null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (value instanceof PyFloat) return value.value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  return true;
}

/** `type(value).__name__` for the messages that name it. */
export function pyTypeName(value: unknown): string {
  if (value == null) return 'NoneType';
  if (value instanceof PyFloat) return 'float';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'dict';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  return typeof value;
}
