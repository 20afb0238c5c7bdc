import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, pyFloatRepr, PyFloat } from '../../../../src/core/1-base/python.js';
import { pyJsonDumps, type PyValue } from '../../../../src/core/1-base/pyjson.js';
import { requireTool, toolsDir } from '../../../helpers/tools.js';

const python = requireTool(join(toolsDir, 'dvc-venv', 'bin', 'python'), 'scripts/ensure-tools.sh');

/** Values travel to Python tagged, so that ints and floats keep their type. */
type Tagged =
  null | boolean | string | Tagged[] | { i: string } | { f: string } | { d: [string, Tagged][] };

/** String(-0) is '0': keep the sign of zero across the transport. */
function floatText(f: number): string {
  return Object.is(f, -0) ? '-0.0' : String(f);
}

function tag(value: PyValue): Tagged {
  if (value == null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { i: BigInt(value).toString() } : { f: floatText(value) };
  }
  if (value instanceof PyFloat) return { f: floatText(value.value) };
  if (Array.isArray(value)) return value.map(tag);
  return { d: Object.entries(value).map(([k, v]) => [k, tag(v)]) };
}

const PY_SCRIPT = `
import json, sys
def untag(v):
    if isinstance(v, list): return [untag(x) for x in v]
    if isinstance(v, dict):
        if 'i' in v: return int(v['i'])
        if 'f' in v: return float(v['f'])
        return {k: untag(x) for k, x in v['d']}
    return v
data = json.loads(sys.stdin.read())
out = {
  'dumps': [json.dumps(untag(v), sort_keys=True) for v in data['values']],
  'reprs': [repr(float(f)) for f in data['floats']],
  'sorted': [sorted(l) for l in data['lists']],
}
sys.stdout.write(json.dumps(out))
`;

interface PyOut {
  dumps: string[];
  reprs: string[];
  sorted: string[][];
}

function runPython(values: PyValue[], floats: number[], lists: string[][]): PyOut {
  const input = JSON.stringify({ values: values.map(tag), floats: floats.map(floatText), lists });
  const out = execFileSync(python, ['-c', PY_SCRIPT], { input, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString('utf8')) as PyOut;
}

const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
  fc.string({
    unit: fc.constantFrom('a', 'é', '\u{1f600}', '\uffff', '\ue000', '\n', '\x7f', '/'),
  }),
);
const anyDouble = fc.double().filter((d) => !Number.isInteger(d) || !Number.isFinite(d));

const pyValueArb: fc.Arbitrary<PyValue> = fc.letrec<{ value: PyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    anyDouble,
    fc.double().map((d) => new PyFloat(d)),
    fc.integer({ min: -1000, max: 1000 }).map((n) => new PyFloat(n)),
    fc.constant(new PyFloat(-0)),
    anyString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('pyJsonDumps', () => {
  it('agrees with real Python on random values', () => {
    const values = fc.sample(pyValueArb, { numRuns: 3000, seed: 42 });
    const floats = [
      ...fc.sample(fc.double(), { numRuns: 3000, seed: 7 }),
      ...fc.sample(fc.integer(), { numRuns: 200, seed: 8 }),
      ...[1e15, 1e16, 1e-4, 1e-5, 123456789012345680000, 0.5, 2 ** 60],
    ];
    const wellFormed = fc.array(
      fc.oneof(
        fc.string({ unit: 'grapheme' }),
        fc.string({
          unit: fc.constantFrom('a', '\uffff', '\u{10000}', '\ue000', '\ud7ff', '\ud800', '\udc00'),
        }),
      ),
      { maxLength: 8 },
    );
    const lists = fc.sample(wellFormed, { numRuns: 500, seed: 9 });
    const py = runPython(values, floats, lists);
    values.forEach((v, i) => expect(pyJsonDumps(v), JSON.stringify(tag(v))).toBe(py.dumps[i]));
    floats.forEach((f, i) => expect(pyFloatRepr(f), String(f)).toBe(py.reprs[i]));
    lists.forEach((l, i) => expect([...l].sort(compareCodePoints)).toEqual(py.sorted[i]));
  });
});
