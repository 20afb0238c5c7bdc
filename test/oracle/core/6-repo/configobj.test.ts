import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseConfigObj,
  serializeConfigObj,
  type ConfigData,
  type ConfigValue,
} from '../../../../src/core/6-repo/configobj.js';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { requireTool, toolsDir } from '../../../helpers/tools.js';

const python = requireTool(join(toolsDir, 'dvc-venv', 'bin', 'python'), 'scripts/ensure-tools.sh');

// Cross-check with Python's configobj and dvc/config.py's reshaping.

const PY_SCRIPT = `
import io, json, sys
from configobj import ConfigObj
from dvc.config import _lower_keys, _parse_named, _pack_named

def to_model(conf):
    out = []
    for section, val in conf.items():
        if section in ('remote', 'machine', 'db'):
            for name, sub in val.items():
                out.append([f'{section} "{name}"', list(sub.items())])
        elif not isinstance(val, dict):
            raise ValueError('top-level scalar')
        else:
            out.append([section, list(val.items())])
    for _, items in out:
        if any(isinstance(v, dict) for _, v in items):
            raise ValueError('subsection (DVC rejects it when validating)')
    return out

data = json.loads(sys.stdin.read())
written = []
for case in data['write']:
    conf = {'remote': {}, 'machine': {}, 'db': {}}
    for section, items in case:
        d = dict(items)
        named = section.split(' ', 1)
        if len(named) == 2 and named[0] in ('remote', 'machine', 'db'):
            conf[named[0]][named[1][1:-1]] = d
        else:
            conf[section] = d
    buf = io.BytesIO()
    try:
        ConfigObj(_pack_named(conf)).write(buf)
        written.append({'ok': buf.getvalue().decode()})
    except Exception as exc:
        written.append({'err': str(exc)})
parsed = []
for text in data['read']:
    try:
        parsed.append({'ok': to_model(_parse_named(_lower_keys(ConfigObj(io.StringIO(text)).dict())))})
    except Exception as exc:
        parsed.append({'err': str(exc)})
sys.stdout.write(json.dumps({'written': written, 'parsed': parsed}))
`;

type Result<T> = { ok: T } | { err: string };
type Model = [string, [string, ConfigValue][]][];

function toModel(data: ConfigData): Model {
  return Object.entries(data).map(([s, entries]) => [s, Object.entries(entries)]);
}

function fromModel(model: Model): ConfigData {
  return Object.fromEntries(model.map(([s, items]) => [s, Object.fromEntries(items)]));
}

function sortedModel(model: Model): Model {
  return [...model].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function attempt<T>(fn: () => T): Result<T> {
  try {
    return { ok: fn() };
  } catch (error) {
    if (error instanceof SluiceError) return { err: error.message };
    throw error;
  }
}

const valueChars = fc.constantFrom(
  'a',
  'b',
  ' ',
  "'",
  '"',
  '#',
  ',',
  '=',
  '[',
  ']',
  '\t',
  'é',
  '\n',
);
const str = fc.string({ unit: valueChars, maxLength: 6 });
const value: fc.Arbitrary<ConfigValue> = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', '/', '.', ':'), maxLength: 8 }),
  str,
  fc.array(str, { maxLength: 3 }),
);
const key = fc.stringMatching(/^[a-z_][a-z_0-9]{0,6}$/);
const sectionName = fc.oneof(
  fc.constantFrom('core', 'cache', 'state', 'plots'),
  fc.stringMatching(/^[a-z0-9 _-]{1,5}$/).map((n) => `remote "${n}"`),
  fc.stringMatching(/^[a-z0-9]{1,3}$/).map((n) => `db "${n}"`),
);
const model: fc.Arbitrary<Model> = fc.uniqueArray(
  fc.tuple(
    sectionName,
    fc.uniqueArray(fc.tuple(key, value), { maxLength: 4, selector: (e) => e[0] }),
  ),
  {
    maxLength: 4,
    selector: (e) => e[0],
  },
);

const lineArb = fc.oneof(
  fc.constantFrom(
    '[core]',
    '[Cache]',
    '[\'remote "A"\']',
    '[remote "b"]',
    '  [ db "x" ]  # c',
    '# c',
    '',
  ),
  fc.constantFrom(
    '[[sub]]',
    '[bad',
    'noequals',
    '"""',
    "x = '''a",
    "y = '''b'''",
    'z = """c""" # d',
  ),
  fc
    .tuple(fc.constantFrom('', '    ', '\t'), key, fc.constantFrom('=', ' = ', '= '), str)
    .map(([indent, k, eq, v]) => `${indent}${k}${eq}${v.replace(/\n/g, '')}`),
  fc
    .tuple(key, fc.array(str, { maxLength: 3 }))
    .map(([k, items]) => `${k} = ${items.map((i) => `"${i.replace(/["\n]/g, '')}"`).join(', ')}`),
);
const textArb = fc.array(lineArb, { maxLength: 8 }).map((lines) => lines.join('\n') + '\n');

describe('agrees with Python configobj + dvc/config.py', () => {
  it('on random data and texts', () => {
    const models = fc.sample(model, { numRuns: 1500, seed: 11 });
    const texts = fc.sample(textArb, { numRuns: 3000, seed: 12 });
    // Round trips are compared too: what we write must read back the same in Python.
    const ours = models.map((m) => attempt(() => serializeConfigObj(fromModel(m))));
    const roundTrip = ours.flatMap((r) => ('ok' in r ? [r.ok] : []));
    const allTexts = [...texts, ...roundTrip];
    const input = JSON.stringify({ write: models, read: allTexts });
    const out = JSON.parse(
      execFileSync(python, ['-c', PY_SCRIPT], { input, maxBuffer: 1 << 28 }).toString('utf8'),
    ) as { written: Result<string>[]; parsed: Result<Model>[] };

    models.forEach((m, i) => {
      const py = out.written[i];
      const ts = ours[i];
      const label = JSON.stringify(m);
      if ('err' in py) {
        // configobj cannot quote some values, and DVC's writer is ASCII-only; Sluice writes UTF-8.
        if (!py.err.includes("'ascii' codec")) expect('err' in ts, label).toBe(true);
      } else {
        expect(ts, label).toEqual(py);
      }
    });
    allTexts.forEach((text, i) => {
      const py = out.parsed[i];
      const ts = attempt(() => toModel(parseConfigObj(text, 'f')));
      const label = JSON.stringify(text);
      if ('err' in py) expect('err' in ts, `${label} -> ${JSON.stringify(ts)}`).toBe(true);
      else {
        expect('ok' in ts, `${label}: ${JSON.stringify(ts)}`).toBe(true);
        if ('ok' in ts) expect(sortedModel(ts.ok), label).toEqual(sortedModel(py.ok));
      }
    });
  });
});
