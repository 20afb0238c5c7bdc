import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  git,
  makeRepo,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * Real DVC and Sluice read the same multi-branch repository; their `--json` outputs of
 * metrics show/diff, params diff and diff must be equal after normalising float formatting and
 * error messages (DVC's messages name its own file-system layers).
 */

function normalize(value: unknown): unknown {
  if (typeof value === 'number')
    return Number.isInteger(value) ? value : Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    if ('error' in obj && Object.keys(obj).length === 1) return { error: true };
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function both(root: string, ...args: string[]): { dvc: unknown; sluice: unknown } {
  const d = dvcOk(root, ...args).stdout;
  const s = sluiceOk(root, ...args).stdout;
  return { dvc: normalize(JSON.parse(d)), sluice: normalize(JSON.parse(s)) };
}

const DVC_YAML = `stages:
  train:
    cmd: echo train
    params:
    - lr
    - model.depth
    deps:
    - data.txt
    outs:
    - model.bin
    metrics:
    - scores.json:
        cache: false
    - cached.json
metrics:
- summary.yaml
`;

let root: string;

beforeAll(() => {
  root = makeRepo('dvc');
  writeTree(root, {
    'dvc.yaml': DVC_YAML,
    'params.yaml': 'lr: 0.1\nmodel:\n  depth: 3\n  width: 8\nunused: 1\n',
    'data.txt': 'data v1\n',
    'model.bin': 'model v1\n',
    'scores.json':
      '{"acc": 0.9, "loss": 0.31, "per_class": {"a": 0.8, "b": 1.0}, "notes": [1, 2]}\n',
    'cached.json': '{"auc": 0.7}\n',
    'summary.yaml': 'f1: 0.5\nepochs: 10\n',
    'raw/a.txt': 'a\n',
    'raw/b.txt': 'b\n',
  });
  dvcOk(root, 'add', 'raw');
  dvcOk(root, 'commit', '-f', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'v1');
  git(root, 'tag', 'v1');

  git(root, 'checkout', '-q', '-b', 'exp');
  writeTree(root, {
    'params.yaml': 'lr: 0.05\nmodel:\n  depth: 4\n  width: 8\nunused: 2\n',
    'model.bin': 'model v2\n',
    'scores.json':
      '{"acc": 0.93, "loss": 0.25, "per_class": {"a": 0.9, "b": 1.0}, "extra": true}\n',
    'cached.json': '{"auc": 0.75}\n',
    'summary.yaml': 'f1: [\n',
    'raw/b.txt': 'b2\n',
    'raw/c.txt': 'c\n',
  });
  dvcOk(root, 'add', 'raw');
  dvcOk(root, 'commit', '-f', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'exp');
  git(root, 'tag', 'exp-done');

  git(root, 'checkout', '-q', 'main');
  dvcOk(root, 'checkout', '-q');
  // Workspace changes on main: a changed metric and param, a changed data file.
  writeTree(root, {
    'scores.json': '{"acc": 0.91, "loss": 0.31, "per_class": {"a": 0.8, "b": 1.0}}\n',
    'params.yaml': 'lr: 0.2\nmodel:\n  depth: 3\n  width: 16\nunused: 1\n',
    'model.bin': 'model ws\n',
  });
});

afterAll(() => cleanupSandboxes());

describe('metrics show across revisions', () => {
  for (const args of [
    ['metrics', 'show', '--json'],
    ['metrics', 'show', '-a', '--json'],
    ['metrics', 'show', '-a', '-T', '--json'],
    ['metrics', 'show', '-T', '--json'],
    ['metrics', 'show', '-A', '--json'],
    ['metrics', 'show', 'scores.json', '-a', '--json'],
  ]) {
    it(args.join(' '), () => {
      const r = both(root, ...args);
      expect(r.sluice).toEqual(r.dvc);
    });
  }

  it('the text table of metrics show -a is the same', () => {
    expect(sluiceOk(root, 'metrics', 'show', '-a').stdout).toBe(
      dvcOk(root, 'metrics', 'show', '-a').stdout,
    );
    expect(sluiceOk(root, 'metrics', 'show', '--md').stdout).toBe(
      dvcOk(root, 'metrics', 'show', '--md').stdout,
    );
  });
});

describe('metrics diff', () => {
  for (const args of [
    ['metrics', 'diff', '--json'],
    ['metrics', 'diff', 'main', 'exp', '--json'],
    ['metrics', 'diff', 'v1', 'exp', '--all', '--json'],
    ['metrics', 'diff', 'HEAD', '--targets', 'scores.json', '--json'],
  ]) {
    it(args.join(' '), () => {
      const r = both(root, ...args);
      expect(r.sluice).toEqual(r.dvc);
    });
  }

  it('a one-file diff prints the same table', () => {
    const args = ['metrics', 'diff', '--targets', 'scores.json'];
    expect(sluiceOk(root, ...args).stdout).toBe(dvcOk(root, ...args).stdout);
    expect(sluiceOk(root, ...args, '--md', '--no-path').stdout).toBe(
      dvcOk(root, ...args, '--md', '--no-path').stdout,
    );
  });
});

describe('params diff', () => {
  for (const args of [
    ['params', 'diff', '--json'],
    ['params', 'diff', '--all', '--json'],
    ['params', 'diff', 'main', 'exp', '--json'],
    ['params', 'diff', 'main', 'exp', '--deps', '--json'],
    ['params', 'diff', 'v1', 'exp', '--all', '--json'],
  ]) {
    it(args.join(' '), () => {
      const r = both(root, ...args);
      expect(r.sluice).toEqual(r.dvc);
    });
  }

  it('prints the same table', () => {
    const args = ['params', 'diff', 'main', 'exp'];
    expect(sluiceOk(root, ...args).stdout).toBe(dvcOk(root, ...args).stdout);
  });
});

describe('data diff', () => {
  for (const args of [
    ['diff', '--json'],
    ['diff', '--show-hash', '--json'],
    ['diff', 'main', 'exp', '--json'],
    ['diff', 'main', 'exp', '--show-hash', '--json'],
    ['diff', 'exp', 'main', '--json'],
    ['diff', 'main', 'main', '--json'],
    ['diff', 'v1', 'exp', '--targets', 'raw', '--json'],
  ]) {
    it(args.join(' '), () => {
      const r = both(root, ...args);
      expect(r.sluice).toEqual(r.dvc);
    });
  }

  it('prints the same text', () => {
    for (const args of [['diff'], ['diff', 'main', 'exp', '--show-hash'], ['diff', '--md']]) {
      expect(sluiceOk(root, ...args).stdout).toBe(dvcOk(root, ...args).stdout);
    }
  });

  it('scenario 19: not in cache', () => {
    const dir = makeRepo('dvc');
    writeTree(dir, { file: 'first' });
    dvcOk(dir, 'add', 'file');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'file');
    writeTree(dir, { 'dir/1': '1', 'dir/2': '2', file: 'second' });
    dvcOk(dir, 'add', 'dir', 'file');
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    const r = both(dir, 'diff', '--show-hash', '--json');
    expect(r.sluice).toEqual(r.dvc);
    const s = JSON.parse(sluiceOk(dir, 'diff', '--show-hash', '--json').stdout) as Record<
      string,
      unknown
    >;
    expect(s['not in cache']).toEqual([{ path: 'file', hash: '8b04d5e3775d298e78455efc5ca404d5' }]);
    expect(sluiceOk(dir, 'diff').stdout).toBe(dvcOk(dir, 'diff').stdout);
  });
});

describe('outside a git repository', () => {
  it('metrics show works without git', () => {
    const dir = tempDir();
    dvcOk(dir, 'init', '--no-scm', '-q');
    const r = sluiceOk(dir, 'metrics', 'show', '--json');
    expect(r.stdout.trim()).toBe(dvcOk(dir, 'metrics', 'show', '--json').stdout.trim());
  });
});
