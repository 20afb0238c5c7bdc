import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  dvcOk,
  makeRepo,
  read,
  sluice,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

afterEach(cleanupSandboxes);

type Tool = 'sluice' | 'dvc';

function runTool(tool: Tool, dir: string, ...args: string[]): string {
  return tool === 'sluice' ? sluiceOk(dir, ...args).stdout : dvcOk(dir, ...args).stdout;
}

const FILES = {
  foo: 'foo\n',
  'data/a.csv': '1,2\n',
  'data/b.csv': '3,4\n',
  'params.yaml': 'lr: 0.001\ntrain:\n  epochs: 10\n  layers: [1, 2]\nfloat_one: 1.0\n',
  'params2.yaml': 'seed: 42\n',
};

/** The same pipeline, built by one tool: stage add for every kind of flag, then repro. */
function buildPipeline(tool: Tool): string {
  const dir = makeRepo(tool);
  writeTree(dir, FILES);
  runTool(tool, dir, 'add', 'foo', 'data');
  runTool(
    tool,
    dir,
    'stage',
    'add',
    '-n',
    'prepare',
    '-d',
    'data',
    '-d',
    'foo',
    '-p',
    'lr,train',
    '-p',
    'params2.yaml:seed',
    '-o',
    'prepared',
    'mkdir -p prepared && cat data/a.csv data/b.csv > prepared/all.csv',
  );
  runTool(
    tool,
    dir,
    'stage',
    'add',
    '-n',
    'train',
    '-d',
    'prepared',
    '-p',
    'float_one',
    '-o',
    'model.bin',
    '-M',
    'metrics.json',
    '--plots-no-cache',
    'plot.csv',
    'cp prepared/all.csv model.bin && echo \'{"acc": 0.5}\' > metrics.json && printf "x,y\\n1,2\\n" > plot.csv',
  );
  runTool(
    tool,
    dir,
    'stage',
    'add',
    '-n',
    'whole',
    '-p',
    'params2.yaml:',
    '-O',
    'notes.txt',
    'echo notes > notes.txt',
  );
  runTool(tool, dir, 'repro');
  return dir;
}

function runCacheEntries(dir: string): string[] {
  const root = join(dir, '.dvc', 'cache', 'runs');
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
}

describe('pipelines: sluice and DVC write the same files', () => {
  it('stage add + repro give byte-identical dvc.yaml, dvc.lock, .gitignore and run cache', () => {
    const ours = buildPipeline('sluice');
    const theirs = buildPipeline('dvc');
    for (const file of ['dvc.yaml', 'dvc.lock', '.gitignore', 'foo.dvc', 'data.dvc']) {
      expect(read(ours, file), file).toBe(read(theirs, file));
    }
    expect(runCacheEntries(ours)).toEqual(runCacheEntries(theirs));
  });

  it('each tool sees the other’s repo as up to date, and agrees on what changed', () => {
    const ours = buildPipeline('sluice');
    const theirs = buildPipeline('dvc');
    expect(dvcOk(ours, 'status').stdout).toContain('Data and pipelines are up to date.');
    expect(sluiceOk(theirs, 'status').stdout).toContain('Data and pipelines are up to date.');
    for (const dir of [ours, theirs]) {
      writeFileSync(
        join(dir, 'params.yaml'),
        'lr: 0.01\ntrain:\n  epochs: 10\n  layers: [1, 2]\nfloat_one: 1\n',
      );
      writeFileSync(join(dir, 'data', 'a.csv'), '9,9\n');
    }
    for (const dir of [ours, theirs]) {
      const fromDvc = JSON.parse(dvc(dir, 'status', '--json').stdout) as unknown;
      const fromSluice = JSON.parse(sluice(dir, 'status', '--json').stdout) as unknown;
      expect(fromSluice).toEqual(fromDvc);
    }
  });

  it('sluice repro on a DVC-made repo leaves what dvc repro leaves', () => {
    const a = buildPipeline('dvc');
    const b = buildPipeline('dvc');
    for (const dir of [a, b]) writeFileSync(join(dir, 'foo'), 'changed\n');
    sluiceOk(a, 'repro');
    dvcOk(b, 'repro');
    for (const file of ['dvc.lock', 'foo.dvc']) expect(read(a, file), file).toBe(read(b, file));
    expect(dvcOk(a, 'status').stdout).toContain('Data and pipelines are up to date.');
  });

  it('keeps comments of dvc.yaml when adding a stage', () => {
    const dir = makeRepo('sluice');
    writeTree(dir, {
      'dvc.yaml': '# the pipeline\nstages:\n  first:  # comes first\n    cmd: echo 1\n',
    });
    sluiceOk(dir, 'stage', 'add', '-n', 'second', 'echo 2');
    const text = read(dir, 'dvc.yaml');
    expect(text).toContain('# the pipeline');
    expect(text).toContain('# comes first');
    expect(text).toContain('  second:\n    cmd: echo 2\n');
  });

  it('foreach and matrix stages resolve to the same stages as DVC', () => {
    const yaml = [
      'vars:',
      '  - models: [a, b]',
      'stages:',
      '  build:',
      '    foreach: ${models}',
      '    do:',
      '      cmd: echo ${item} > out-${item}.txt',
      '      outs:',
      '      - out-${item}.txt',
      '  grid:',
      '    matrix:',
      '      lr: [1, 2]',
      '      opt: [sgd, adam]',
      '    cmd: echo ${item.lr} ${item.opt} > grid-${key}.txt',
      '    outs:',
      '    - grid-${key}.txt',
      '',
    ].join('\n');
    const ours = makeRepo('sluice');
    const theirs = makeRepo('dvc');
    for (const dir of [ours, theirs]) writeTree(dir, { 'dvc.yaml': yaml });
    sluiceOk(ours, 'repro');
    dvcOk(theirs, 'repro');
    expect(read(ours, 'dvc.lock')).toBe(read(theirs, 'dvc.lock'));
    expect(read(ours, 'grid-2-adam.txt')).toBe('2 adam\n');
    expect(dvcOk(ours, 'status').stdout).toContain('Data and pipelines are up to date.');
  });
});
