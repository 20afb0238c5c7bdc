import { describe, expect, it } from 'vitest';
import { DvcFileError } from '../../../../src/core/1-base/errors.js';
import { loadDvcYaml } from '../../../../src/core/7-metafiles/dvcYaml.js';
import { Context, toStr, matrixIterations } from '../../../../src/core/7-metafiles/interpolate.js';
import {
  diffParams,
  getParamValue,
  paramsDepStatus,
  parseParamsFile,
} from '../../../../src/core/7-metafiles/paramsFile.js';
import { serializeStage } from '../../../../src/core/7-metafiles/stageSerialize.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';

const files = (m: Record<string, string>) => (p: string) => m[p];

function loadErr(text: string, fs: Record<string, string> = {}): DvcFileError {
  try {
    loadDvcYaml(text, { file: 'dvc.yaml', readFile: files(fs) });
  } catch (error) {
    if (error instanceof DvcFileError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('loadDvcYaml', () => {
  it('loads a plain stage with defaults', () => {
    const d = loadDvcYaml(
      'stages:\n  train:\n    cmd: python t.py\n    deps: [a]\n    params: [lr, {p2.yaml: [x]}, {p3.json: null}]\n    outs:\n    - m: {cache: false, persist: true}\n    metrics: [s.json]\n    plots:\n    - p.csv: {x: step}\n    frozen: true\n',
      { file: 'dvc.yaml', readFile: () => undefined },
    );
    const s = d.stages[0];
    expect(s?.name).toBe('train');
    expect(s?.line).toBe(2);
    expect(s?.wdir).toBe('.');
    expect(s?.generated).toBe(false);
    expect(s?.frozen).toBe(true);
    expect(s?.params).toEqual([
      { file: 'params.yaml', keys: ['lr'] },
      { file: 'p2.yaml', keys: ['x'] },
      { file: 'p3.json', keys: null },
    ]);
    expect(s?.outs.map((o) => [o.path, o.kind, o.cache, o.persist])).toEqual([
      ['m', 'out', false, true],
      ['s.json', 'metric', true, false],
      ['p.csv', 'plot', true, false],
    ]);
    expect(s?.outs[2]?.plotProps).toEqual({ x: 'step' });
  });

  it('whole-file params override keys', () => {
    const d = loadDvcYaml('stages:\n  a:\n    cmd: c\n    params: [lr, {params.yaml: []}]\n', {
      file: 'dvc.yaml',
      readFile: () => undefined,
    });
    expect(d.stages[0]?.params).toEqual([{ file: 'params.yaml', keys: null }]);
  });

  it('rejects reserved characters and duplicate stages', () => {
    expect(loadErr('stages:\n  a@b:\n    cmd: c\n').message).toContain("must not contain '@'");
    const dup = loadErr('stages:\n  a:\n    cmd: c\n  a:\n    cmd: d\n');
    expect(dup.message).toContain("duplicate stage name 'a'");
    expect(dup.line).toBe(4);
  });

  it('reports missing variables with the stage and expression', () => {
    const e = loadErr('stages:\n  s:\n    cmd: echo ${nope.x}\n');
    expect(e.message).toContain("failed to parse 'stages.s.cmd': Could not find 'nope.x'");
    expect(e.line).toBe(3);
  });

  it('rejects redefinition in vars', () => {
    const e = loadErr('vars:\n  - {a: 2}\nstages: {}\n', { 'params.yaml': 'a: 1\n' });
    expect(e.message).toContain(
      "cannot redefine 'a' from 'vars[0]' as it already exists in 'params.yaml'",
    );
  });

  it('keeps types for whole-value interpolation; stage vars; \\${ escape', () => {
    const d = loadDvcYaml(
      [
        'vars:',
        '  - {n: 3, f: 0.5, b: false}',
        'stages:',
        '  s:',
        '    vars: [{own: x}]',
        '    cmd:',
        '    - echo \\${n}',
        '    - ${f}',
        '    desc: ${b}',
        '    meta: ${n}',
        '    deps:',
        '    - ${own}',
        '',
      ].join('\n'),
      { file: 'dvc.yaml', readFile: () => undefined },
    );
    const s = d.stages[0];
    expect(s?.cmd).toEqual(['echo ${n}', '0.5']);
    expect(s?.meta).toBe(3);
    expect(s?.deps).toEqual(['x']);
    expect(s?.generated).toBe(true);
  });

  it('resolves a 1,000-item foreach quickly', () => {
    const items = Array.from({ length: 1000 }, (_, i) => `n${i}`).join(', ');
    const text = [
      'stages:',
      '  build:',
      `    foreach: [${items}]`,
      '    do:',
      '      cmd: echo ${item} ${key}',
      '      deps:',
      '      - src/${item}',
      '      outs:',
      '      - out/${item}:',
      '          cache: false',
      '',
    ]
      .join('\n')
      .replace('${key}', 'x');
    // The best of a few runs (after a warm-up), so that a loaded test machine does not make it flaky.
    let best = Infinity;
    let d = loadDvcYaml(text, { file: 'dvc.yaml', readFile: () => undefined });
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      d = loadDvcYaml(text, { file: 'dvc.yaml', readFile: () => undefined });
      best = Math.min(best, performance.now() - t0);
    }
    expect(d.stages).toHaveLength(1000);
    expect(d.stages[999]?.name).toBe('build@n999');
    expect(d.stages[999]?.cmd).toBe('echo n999 x');
    expect(d.stages[999]?.outs[0]).toMatchObject({ path: 'out/n999', cache: false });
    expect(best).toBeLessThan(200);
  });
});

describe('interpolate', () => {
  it('renders values like DVC', () => {
    expect(toStr(new PyFloat(1))).toBe('1.0');
    expect(toStr(null)).toBe('None');
    expect(toStr(true)).toBe('true');
    expect(toStr({ a: 1, b: 'x y', c: true, d: false, l: [1, 's'], n: { q: 2 } })).toBe(
      "--a 1 --b 'x y' --c --l 1 s --n.q 2",
    );
    expect(toStr({ l: [1, 2], d: false }, { list: 'append', bool: 'boolean_optional' })).toBe(
      '--l 1 --l 2 --no-d',
    );
  });
  it('selects dotted and indexed keys', () => {
    const c = new Context({ a: { b: [10, { c: 'x' }] } });
    expect(c.resolveStr('${a.b[1].c}', 'cmd')).toBe('x');
    expect(c.resolveStr('${ a.b.0 }-${a.b[0]}', 'cmd')).toBe('10-10');
    expect(() => c.resolveStr('${a.b}', 'deps')).toThrow("Cannot interpolate data of type 'list'");
    expect(() => c.resolveStr('${a..b}', 'deps')).toThrow();
  });
  it('names matrix iterations', () => {
    const keys = matrixIterations({ x: [1, true], y: [[1], { a: 1 }, 'z'] }).map((i) => i.key);
    expect(keys).toEqual(['1-y0', '1-y1', '1-z', 'true-y0', 'true-y1', 'true-z']);
  });
});

describe('params files', () => {
  it('parses yaml/json/toml/py keeping floats', () => {
    expect(parseParamsFile('p.yaml', 'a: 1.0\nb: 2\n')).toEqual({ a: new PyFloat(1), b: 2 });
    expect(parseParamsFile('p.json', '{"a": 1.0, "b": [2, 3e2]}')).toEqual({
      a: new PyFloat(1),
      b: [2, new PyFloat(300)],
    });
    expect(parseParamsFile('p.toml', 'a = 1.0\n[t]\nb = 2\n')).toEqual({
      a: new PyFloat(1),
      t: { b: 2 },
    });
    const py = [
      'import os',
      'LR = 0.01',
      'NAME: str = "x"  # comment',
      'LST = [1, 2,',
      '       3]',
      'D = {"a": True, "b": None}',
      'X = os.getcwd()',
      'class Train:',
      '    epochs = 10',
      '    def __init__(self):',
      '        self.bs = 32',
      '',
    ].join('\n');
    expect(parseParamsFile('p.py', py)).toEqual({
      LR: new PyFloat(0.01),
      NAME: 'x',
      LST: [1, 2, 3],
      D: { a: true, b: null },
      Train: { epochs: 10, bs: 32 },
    });
    expect(parseParamsFile('empty.yaml', '')).toEqual({});
  });
  it('looks up dotted keys', () => {
    expect(getParamValue({ a: { b: [1, { c: 2 }] } }, 'a.b.1.c')).toBe(2);
    expect(getParamValue({ a: 1 }, 'a.b')).toBeUndefined();
  });
  it('diffs params as in scenario 7', () => {
    expect(paramsDepStatus({}, undefined, null)).toBe('deleted');
    expect(paramsDepStatus(undefined, {}, null)).toBe('new');
    expect(diffParams({}, { foo: 1, bar: 2 }, null)).toEqual({ foo: 'new', bar: 'new' });
    expect(diffParams({ bar: 2, foo: 1 }, { foo: 'foobar', lorem: 'ipsum' }, null)).toEqual({
      foo: 'modified',
      lorem: 'new',
      bar: 'deleted',
    });
    expect(diffParams({ 'a.b': 1 }, { a: { b: new PyFloat(1) } }, ['a.b'])).toEqual({});
    expect(diffParams({ x: 1 }, { x: 2, y: 1 }, ['x', 'y', 'z'])).toEqual({
      x: 'modified',
      y: 'new',
      z: 'deleted',
    });
  });
});

describe('serializeStage', () => {
  it('orders keys and flags like dvc stage add', () => {
    const out = serializeStage({
      cmd: 'run',
      wdir: '.',
      deps: ['b', 'a'],
      params: [
        { file: 'params2.yaml', keys: ['z', 'a'] },
        { file: 'params.yaml', keys: ['lr', 'epochs'] },
        { file: 'other.yaml', keys: null },
      ],
      outs: [
        { path: 'z', kind: 'out', cache: true, persist: false, push: true },
        {
          path: 'm',
          kind: 'metric',
          cache: false,
          persist: true,
          push: false,
          remote: 'r',
          desc: 'd',
        },
      ],
      alwaysChanged: true,
      desc: 'top',
    });
    expect(JSON.stringify(out)).toBe(
      JSON.stringify({
        desc: 'top',
        cmd: 'run',
        deps: ['a', 'b'],
        params: ['epochs', 'lr', { 'other.yaml': null }, { 'params2.yaml': ['a', 'z'] }],
        outs: ['z'],
        metrics: [{ m: { desc: 'd', cache: false, persist: true, remote: 'r', push: false } }],
        always_changed: true,
      }),
    );
  });
});
