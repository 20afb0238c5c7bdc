import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { dvcBinary, requireTool } from '../../../helpers/tools.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';

/** The python of the DVC venv (fails, never skips, when missing). */
export function dvcPython(): string {
  requireTool(dvcBinary, 'scripts/ensure-tools.sh');
  return join(dvcBinary, '..', 'python');
}

function encode(v: unknown): unknown {
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return { __float__: 'nan' };
    if (!Number.isFinite(v.value)) return { __float__: v.value > 0 ? 'inf' : '-inf' };
    return { __float__: v.value.toString() };
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v != null && typeof v === 'object') {
    return { __map__: Object.entries(v).map(([k, x]) => [k, encode(x)]) };
  }
  return v;
}

const SCRIPT = `
import json, sys
from dvc.utils.serialize._yaml import dumps_yaml, parse_yaml_for_update, _dump
from dvc.utils.collections import apply_diff
import io
def dec(v):
    if isinstance(v, dict):
        if '__float__' in v: return float(v['__float__'])
        return {k: dec(x) for k, x in v['__map__']}
    if isinstance(v, list): return [dec(x) for x in v]
    return v
req = json.load(sys.stdin)
out = []
for case in req:
    if case['op'] == 'dump':
        out.append(dumps_yaml(dec(case['data'])))
    else:
        d = parse_yaml_for_update(case['old'], 'x')
        apply_diff(dec(case['data']), d)
        s = io.StringIO(); _dump(d, s); out.append(s.getvalue())
json.dump(out, sys.stdout)
`;

export type OracleCase =
  { op: 'dump'; data: unknown } | { op: 'update'; old: string; data: unknown };

/** Runs DVC's own ruamel dumper (and round-trip update) on each case. */
export function ruamel(cases: OracleCase[]): string[] {
  const input = JSON.stringify(
    cases.map((c) =>
      c.op === 'dump' ? { op: 'dump', data: encode(c.data) } : { ...c, data: encode(c.data) },
    ),
  );
  const out = execFileSync(dvcPython(), ['-c', SCRIPT], { input, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString('utf8')) as string[];
}
