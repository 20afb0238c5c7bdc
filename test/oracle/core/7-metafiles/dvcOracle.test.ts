/**
 * Compares the loader/serialiser with real DVC (the oracle): `dvc stage add` output, schema error
 * messages of `dvc status`, and template resolution by dvc.parsing.DataResolver.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DvcFileError } from '../../../../src/core/1-base/errors.js';
import { loadDvcYaml } from '../../../../src/core/7-metafiles/dvcYaml.js';
import { serializeStage } from '../../../../src/core/7-metafiles/stageSerialize.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';
import { dvcBinary, requireTool } from '../../../helpers/tools.js';

let dir = '';
let dvc = '';
const python = (): string => join(dirname(dvc), 'python');

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  dvc = requireTool(dvcBinary, 'scripts/ensure-tools.sh');
  dir = mkdtempSync(join(tmpdir(), 'sluice-h3-'));
  run('git', ['init', '-q']);
  run(dvc, ['init', '-q']);
  mkdirSync(join(dir, 'sub'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const readRel = (rel: string): string | undefined => {
  const p = join(dir, rel);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
};

/** Converts PyFloat to number for comparisons with the YAML-parsed text. */
function plain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v != null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

describe('dvc stage add round trip', () => {
  const cases: [string, string[]][] = [
    ['simple', ['-d', 'b', '-d', 'a', '-o', 'z', '-o', 'y', 'echo hi']],
    [
      'params',
      [
        '-p',
        'lr,train.epochs',
        '-p',
        'params2.yaml:b,a',
        '-p',
        'params3.yaml:',
        '-p',
        'aaa.json:x',
        'cmd',
      ],
    ],
    ['wholeDefault', ['-p', 'params.yaml:', '-p', 'x', 'cmd']],
    [
      'flags',
      [
        '-O',
        'nc',
        '--outs-persist',
        'pers',
        '--outs-persist-no-cache',
        'pnc',
        '-m',
        'm.json',
        '-M',
        'mnc.json',
        '--plots',
        'p.csv',
        '--plots-no-cache',
        'pnc.csv',
        '-w',
        'sub',
        '--always-changed',
        '--desc',
        'a description',
        'python run.py',
      ],
    ],
  ];
  for (const [name, args] of cases) {
    it(name, () => {
      run(dvc, ['stage', 'add', '-n', name, ...args]);
      const text = readFileSync(join(dir, 'dvc.yaml'), 'utf8');
      const expected = (parseYaml(text) as { stages: Record<string, unknown> }).stages[name];
      const def = loadDvcYaml(text, { file: 'dvc.yaml', readFile: readRel });
      const stage = def.stages.find((s) => s.name === name);
      expect(stage).toBeDefined();
      if (stage === undefined) return;
      const out = serializeStage({
        cmd: stage.cmd,
        wdir: stage.wdir,
        deps: stage.deps,
        params: stage.params,
        outs: stage.outs,
        frozen: stage.frozen,
        alwaysChanged: stage.alwaysChanged,
        ...(stage.desc === undefined ? {} : { desc: stage.desc }),
      });
      expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
    });
  }
});

describe('schema errors match dvc status', () => {
  const bad = [
    'stages:\n  a:\n    cmd: echo\n    foo: bar\n',
    'stages:\n  a:\n    cmd: 1\n',
    'stages:\n  a:\n    deps: [x]\n',
    'stages:\n  a:\n    cmd: echo\n    outs:\n    - x:\n        cache: 3\n',
    'stages:\n  a:\n    cmd: echo\n    outs: [3]\n',
    'stages:\n  a:\n    cmd: echo\n    outs:\n    - x: 3\n',
    'stages:\n  a:\n    cmd: echo\n    params:\n    - 3\n',
    'stages:\n  a:\n    foreach: [1,2]\n',
    'stages:\n  a:\n    foreach: [1,2]\n    do:\n      cmd: echo\n      bad: 1\n',
    'stages:\n  a:\n    matrix: {x: 3}\n    cmd: echo\n',
    'stages:\n  a:\n    cmd: echo\n    frozen: yes\n',
    'stages: [1]\n',
    'plots: [3]\n',
    'vars: [3]\n',
    'stages:\n  a:\n    cmd: echo\n    wdir: 1\n',
    'stages:\n  a:\n    cmd: echo\n    plots:\n    - p.csv:\n        x: 1\n',
    'stages:\n  a:\n    cmd: echo\n    metrics:\n    - m.json:\n        x: a\n',
    'artifacts:\n  m:\n    type: model\n',
    'metrics: [{a: 1}]\n',
  ];
  for (const text of bad) {
    it(JSON.stringify(text), () => {
      writeFileSync(join(dir, 'dvc.yaml'), text);
      const r = spawnSync(dvc, ['status'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, COLUMNS: '300' },
      });
      const m = /\n\n(.*?)(?:, line (\d+), column (\d+))?\n/.exec(r.stdout + r.stderr);
      expect(m).not.toBeNull();
      let err: unknown;
      try {
        loadDvcYaml(text, { file: 'dvc.yaml', readFile: () => undefined });
      } catch (error) {
        err = error;
      }
      expect(err).toBeInstanceOf(DvcFileError);
      const e = err as DvcFileError;
      expect(e.message).toContain(`is invalid: ${m?.[1] ?? ''}`);
      if (m?.[2] !== undefined) {
        expect(e.line).toBe(Number(m[2]));
        expect(e.column).toBe(Number(m[3]));
      }
    });
  }
});

describe('templating matches DataResolver', () => {
  it('resolves params, foreach, matrix, dict args', () => {
    writeFileSync(
      join(dir, 'params.yaml'),
      [
        'lr: 0.001',
        'big: 1.0e20',
        'f1: 1.0',
        'n: null',
        'flag: true',
        'lst: [1, "a b", 2.5]',
        'd: {x: 1, y: "s t", z: true, w: false, l: [1, "q r"], nest: {q: 3}}',
        'models:',
        '  us: {thresh: 10}',
        '  uk: {thresh: 15}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'extra.json'), '{"ex": {"a": 1.5, "b": [1, 2]}}');
    const text = [
      'vars:',
      '  - extra.json',
      '  - inline: {k: v}',
      'stages:',
      '  s:',
      '    cmd: echo ${lr} ${big} ${f1} ${n} ${flag} ${d} ${models.us.thresh} ${lst[1]} \\${esc} ${ex.a} ${ex.b[1]} ${inline.k}',
      '    deps:',
      '    - ${lst[1]}',
      '    meta: {a: "${lr}"}',
      '  f:',
      '    foreach: ${models}',
      '    do:',
      '      cmd: echo ${key} ${item.thresh}',
      '  g:',
      '    foreach: [a, 1, 2.0, true, null]',
      '    do:',
      '      cmd: echo ${item}',
      '  h:',
      '    foreach: [[1], {a: 1}]',
      '    do:',
      '      cmd: echo hi',
      '  m:',
      '    matrix:',
      '      x: [1, true]',
      '      y: [[1,2], {a: b}, zz]',
      '    cmd: echo ${item.x} ${key}',
      '  v:',
      '    vars: [{own: 5}]',
      '    cmd: echo ${own}',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'dvc.yaml'), text);
    const script = [
      'from dvc.repo import Repo',
      'from dvc.parsing import DataResolver',
      'from dvc.utils.serialize import parse_yaml',
      'import json',
      "r = Repo('.')",
      "d = parse_yaml(open('dvc.yaml').read(), 'dvc.yaml')",
      "print(json.dumps(DataResolver(r, '.', d).resolve()['stages']))",
    ].join('\n');
    const expected = JSON.parse(run(python(), ['-c', script])) as Record<
      string,
      Record<string, unknown>
    >;
    const def = loadDvcYaml(text, { file: 'dvc.yaml', readFile: readRel });
    expect(def.stages.map((s) => s.name)).toEqual(Object.keys(expected));
    for (const s of def.stages) {
      const exp = expected[s.name];
      expect(s.cmd).toEqual(exp?.cmd);
      if (exp?.deps !== undefined) expect(s.deps).toEqual(exp.deps);
      if (exp?.meta !== undefined) expect(plain(s.meta)).toEqual(exp.meta);
    }
    rmSync(join(dir, 'params.yaml'));
  });
});
