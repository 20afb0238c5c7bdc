/**
 * The Python behaviour of `src/core/1-base/python.ts` against the real thing: one run of the
 * system's python3 answers a batch of generated inputs (JSON in, JSON out).
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  pyEquals,
  PyFloat,
  pyFloatRepr,
  pyIsSpace,
  pyRepr,
  pyRound,
  pyStr,
  pyStrip,
  pyStrRepr,
  pyTruthy,
  pyTypeName,
} from '../../../../src/core/1-base/python.js';
import {
  UNPRINTABLE_RANGES,
  UNPRINTABLE_UNICODE_VERSION,
} from '../../../../src/core/1-base/pythonUnprintable.js';

const SEED = 20240516;

/** Values travel to Python tagged, so that ints and floats keep their type. */
type Tagged =
  null | boolean | string | Tagged[] | { i: string } | { f: string } | { d: [string, Tagged][] };

/** String(-0) is '0' and String(NaN) is not JSON: floats travel as Python's float() accepts them. */
function floatText(f: number): string {
  return Object.is(f, -0) ? '-0.0' : String(f);
}

function tag(value: unknown): Tagged {
  if (value == null) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return { i: value.toString() };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { i: BigInt(value).toString() } : { f: floatText(value) };
  }
  if (value instanceof PyFloat) return { f: floatText(value.value) };
  if (Array.isArray(value)) return value.map(tag);
  return { d: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, tag(v)]) };
}

const PY_SCRIPT = String.raw`
import json, sys, unicodedata
def untag(v):
    if isinstance(v, list): return [untag(x) for x in v]
    if isinstance(v, dict):
        if 'i' in v: return int(v['i'])
        if 'f' in v: return float(v['f'])
        return {k: untag(x) for k, x in v['d']}
    return v
def ranges(test):
    out, start = [], None
    for c in range(0x110000):
        if test(chr(c)):
            if start is None: start = c
        elif start is not None:
            out.append((start, c - 1)); start = None
    if start is not None: out.append((start, 0x10FFFF))
    return ','.join('%x' % a if a == b else '%x-%x' % (a, b) for a, b in out)
data = json.loads(sys.stdin.read())
values = [untag(v) for v in data['values']]
out = {
  'unicode': unicodedata.unidata_version,
  'unprintable': ranges(lambda ch: not ch.isprintable()),
  'spaces': [c for c in range(0x110000) if chr(c).isspace()],
  'strRepr': [repr(s) for s in data['strings']],
  'strip': [s.strip() for s in data['strings']],
  'sorted': [sorted(l) for l in data['lists']],
  'floatRepr': [repr(float(f)) for f in data['floats']],
  'round': [repr(round(float(f), n)) for f, n in data['rounds']],
  'repr': [repr(v) for v in values],
  'str': [str(v) for v in values],
  'truthy': [bool(v) for v in values],
  'type': [type(v).__name__ for v in values],
  'equal': [untag(a) == untag(b) for a, b in data['pairs']],
}
sys.stdout.write(json.dumps(out))
`;

interface PyOut {
  unicode: string;
  unprintable: string;
  spaces: number[];
  strRepr: string[];
  strip: string[];
  sorted: string[][];
  floatRepr: string[];
  round: string[];
  repr: string[];
  str: string[];
  truthy: boolean[];
  type: string[];
  equal: boolean[];
}

const TRICKY_STRINGS = [
  '',
  "'",
  '"',
  `'"`,
  "it's",
  'a\\b',
  '\t\n\r\v\f\x00\x1b\x7f',
  '\x80\x9f\xa0\xa1\xac\xad\xae\xff',
  'non\xa0breaking',
  'soft\xadhyphen',
  '\u200b\u200e\u2028\u2029\u202f\u3000\ufeff\ufffe\uffff',
  '\ue000\uf8ff',
  '\ud800',
  'lone \udc80 low',
  '\ud83d\ude00 \u{1f600}',
  '\u{e0001}\u{e007f}\u{f0000}\u{10ffff}',
  '\u0378\u0379',
  '\u1680 \u2000\u200a \u205f',
  '\x1c\x1d\x1e\x1f\x85 x \x85',
  '\ufeff padded \ufeff',
  ' \t\n mixed \u3000',
  'é日本\u0301',
];

const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
  fc.string({
    unit: fc.constantFrom(
      'a',
      "'",
      '"',
      '\\',
      ' ',
      '\xa0',
      '\xad',
      '\x85',
      '\ufeff',
      '\u2028',
      '\u200b',
      '\ud800',
      '\udfff',
      '\u{1f600}',
      '\u{e0100}',
      '\x1f',
    ),
  }),
);

const anyFloat = fc.oneof(
  fc.double(),
  fc.constantFrom(0.1, 1e16, 1e-5, 1e21, 2.5, -0, 123456789.125, 5e-324, 1.7976931348623157e308),
);

const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
    fc.constantFrom(0, 1, 2 ** 53, 1e21, -1e22),
    anyFloat.map((d) => (Number.isInteger(d) ? new PyFloat(d) : d)),
    anyString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Pairs that are often equal in Python without being the same in JavaScript. */
const numberLike = fc.constantFrom<unknown>(
  0,
  1,
  true,
  false,
  new PyFloat(1),
  new PyFloat(0),
  -0,
  0.5,
  NaN,
  2n ** 53n + 1n,
  2 ** 53,
  new PyFloat(2 ** 53),
  null,
  '1',
);
const pairArb = fc.oneof(
  fc.tuple(valueArb, valueArb),
  valueArb.map((v) => [v, v] as const),
  fc.tuple(numberLike, numberLike),
  fc.tuple(fc.array(numberLike, { maxLength: 3 }), fc.array(numberLike, { maxLength: 3 })),
  fc.tuple(
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), numberLike),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), numberLike),
  ),
);

const strings = [...TRICKY_STRINGS, ...fc.sample(anyString, { numRuns: 1500, seed: SEED })];
const lists = fc.sample(fc.array(anyString, { maxLength: 6 }), { numRuns: 300, seed: SEED });
const floats = fc.sample(anyFloat, { numRuns: 1500, seed: SEED });
const rounds = fc.sample(
  fc.tuple(
    fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.constantFrom(0.015625, 2.675, 0.5, 1.5, 2.5, 1234.5678, 1e300),
    ),
    fc.integer({ min: -3, max: 12 }),
  ),
  { numRuns: 800, seed: SEED },
);
const values = fc.sample(valueArb, { numRuns: 800, seed: SEED });
const pairs = fc.sample(pairArb, { numRuns: 800, seed: SEED });

describe('python.ts against python3', () => {
  let py: PyOut;

  beforeAll(() => {
    const input = JSON.stringify({
      strings,
      lists,
      floats: floats.map(floatText),
      rounds: rounds.map(([f, n]) => [floatText(f), n]),
      values: values.map(tag),
      pairs: pairs.map(([a, b]) => [tag(a), tag(b)]),
    });
    const out = execFileSync('python3', ['-c', PY_SCRIPT], { input, maxBuffer: 1 << 28 });
    py = JSON.parse(out.toString('utf8')) as PyOut;
  });

  it('the unprintable table is Python’s str.isprintable(), code point by code point', () => {
    // When python3 has another Unicode version, paste `unprintable` into pythonUnprintable.ts.
    expect({ unicode: UNPRINTABLE_UNICODE_VERSION, unprintable: UNPRINTABLE_RANGES }).toEqual({
      unicode: py.unicode,
      unprintable: py.unprintable,
    });
  });

  it('isspace() over every code point', () => {
    const ours: number[] = [];
    for (let c = 0; c < 0x110000; c++) if (pyIsSpace(c)) ours.push(c);
    expect(ours).toEqual(py.spaces);
  });

  it('repr() and strip() of str', () => {
    expect(strings.map(pyStrRepr)).toEqual(py.strRepr);
    expect(strings.map(pyStrip)).toEqual(py.strip);
  });

  it('sorted() of str', () => {
    expect(lists.map((l) => [...l].sort(compareCodePoints))).toEqual(py.sorted);
  });

  it('repr() and round() of float', () => {
    expect(floats.map(pyFloatRepr)).toEqual(py.floatRepr);
    expect(rounds.map(([f, n]) => pyFloatRepr(pyRound(f, n)))).toEqual(py.round);
  });

  it('repr(), str(), bool() and type() of values', () => {
    expect(values.map(pyRepr)).toEqual(py.repr);
    expect(values.map(pyStr)).toEqual(py.str);
    expect(values.map(pyTruthy)).toEqual(py.truthy);
    expect(values.map(pyTypeName)).toEqual(py.type);
  });

  it('== of values', () => {
    expect(pairs.map(([a, b]) => pyEquals(a, b))).toEqual(py.equal);
  });
});
