import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { loadPipelineFile, PipelineFile } from '../../../../src/core/7-metafiles/pipelineFile.js';
import type { Repo } from '../../../../src/core/6-repo/repo.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';
import { openScratchRepo } from '../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeEach(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-pipeline-file-'));
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
const read = (path: string): string => readFileSync(join(dir, path), 'utf8');

function refusal(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error('expected a SluiceError');
}

const YAML = `stages:
  train:
    cmd: python train.py
    wdir: work
    deps:
    - ../data
    - train.py
    params:
    - lr
    - cfg.yaml:
      - depth
    outs:
    - model.bin
  report:
    cmd: echo report
`;
const LOCK = `schema: '2.0'
stages:
  train:
    cmd: python train.py
    deps:
    - path: ../data
      hash: md5
      md5: 0123456789abcdef0123456789abcdef.dir
      size: 10
      nfiles: 2
    - path: train.py
      hash: md5
      md5: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      size: 3
    params:
      params.yaml:
        lr: 0.5
      cfg.yaml:
        depth: 3
    outs:
    - path: model.bin
      hash: md5
      md5: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
      size: 4
  gone:
    cmd: echo old
`;

describe('PipelineFile.load', () => {
  it('gives each stage its lock entry, paths resolved against the stage wdir', () => {
    write({ 'dvc.yaml': YAML, 'dvc.lock': LOCK });
    const file = loadPipelineFile(repo, 'dvc.yaml');
    expect(file.dir).toBe('');
    expect(file.lockPath).toBe('dvc.lock');
    expect(file.stages.map((s) => s.name)).toEqual(['train', 'report']);
    expect(file.stages.every((s) => s.isPipelineStage)).toBe(true);
    const train = file.stages[0];
    expect(train?.wdir).toBe('work');
    expect(train?.deps.map((d) => [d.path, d.repoPath])).toEqual([
      ['params.yaml', 'work/params.yaml'],
      ['cfg.yaml', 'work/cfg.yaml'],
      ['../data', 'data'],
      ['train.py', 'work/train.py'],
    ]);
    expect(train?.deps[2]?.recorded).toEqual({
      hash: { name: 'md5', value: '0123456789abcdef0123456789abcdef.dir' },
      size: 10,
      nfiles: 2,
    });
    expect(train?.outs[0]?.repoPath).toBe('work/model.bin');
    expect(train?.outs[0]?.recorded.hash?.value).toBe('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    // Params are matched by the file name as written in dvc.yaml (relative to the wdir).
    expect(train?.deps[0]?.params?.recorded).toEqual({ lr: 0.5 });
    expect(train?.deps[1]?.params?.recorded).toEqual({ depth: 3 });
    expect(file.hasLockEntry('train')).toBe(true);
    expect(file.hasLockEntry('gone')).toBe(true);
    expect(file.hasLockEntry('report')).toBe(false);
    expect(file.lockedCmd('train')).toBe('python train.py');
    const report = file.stages[1];
    expect([report?.deps.length, report?.outs.length, report?.outs[0]]).toEqual([0, 0, undefined]);
  });

  it('a dvc.yaml in a folder: its lock beside it, its paths inside it', () => {
    write({
      'sub/dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    deps: [in.txt]\n    outs: [out.txt]\n',
      'sub/dvc.lock':
        "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    outs:\n    - path: out.txt\n      md5: cccccccccccccccccccccccccccccccc\n",
    });
    const file = PipelineFile.load(repo, 'sub/dvc.yaml');
    expect(file.dir).toBe('sub');
    expect(file.lockPath).toBe('sub/dvc.lock');
    expect(file.stages[0]?.deps[0]?.repoPath).toBe('sub/in.txt');
    expect(file.stages[0]?.outs[0]?.recorded.hash?.value).toBe('cccccccccccccccccccccccccccccccc');
  });

  it("templated values are read from the dvc.yaml's own folder; desc and remote are kept", () => {
    write({
      'sub.yaml.d/params.yaml': 'name: hello\n',
      'params.yaml': 'name: wrong\n',
      'sub.yaml.d/dvc.yaml':
        'stages:\n  s:\n    desc: says hello\n    cmd: echo ${name}\n    outs:\n    - o.txt:\n        remote: store\n',
    });
    const file = PipelineFile.load(repo, 'sub.yaml.d/dvc.yaml');
    expect(file.lockPath).toBe('sub.yaml.d/dvc.lock');
    const stage = file.stages[0];
    expect(stage?.cmd).toBe('echo hello');
    expect(stage?.props.desc).toBe('says hello');
    expect(stage?.outs[0]?.options.remote).toBe('store');
    write({ 'dvc.yaml': 'stages:\n  t:\n    cmd: echo ${name}\n    outs: [x]\n' });
    const top = PipelineFile.load(repo, 'dvc.yaml').stages[0];
    expect(top?.cmd).toBe('echo wrong');
    expect('desc' in (top?.props ?? {})).toBe(false);
    expect('remote' in (top?.outs[0]?.options ?? {})).toBe(false);
  });

  it('lock entries that are not path records are passed over', () => {
    write({
      'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    deps: [a, b]\n    outs: [o]\n',
      'dvc.lock':
        "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    deps:\n    - 5\n    - null\n    - md5: dddddddddddddddddddddddddddddddd\n    - path: 7\n    - path: b\n      md5: eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\n    outs: not a list\n",
    });
    const stage = PipelineFile.load(repo, 'dvc.yaml').stages[0];
    expect(stage?.deps.map((d) => d.recorded.hash?.value)).toEqual([
      undefined,
      'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
    ]);
    expect(stage?.outs[0]?.recorded).toEqual({});
  });

  it('dependencies outside the repo are not claimed as paths (two of them are fine)', () => {
    write({
      'dvc.yaml':
        'stages:\n  s:\n    cmd: echo\n    deps: [s3://bucket/a, https://host/b]\n    outs: [o]\n',
    });
    const stage = PipelineFile.load(repo, 'dvc.yaml').stages[0];
    expect(stage?.deps.map((d) => [d.path, d.repoPath])).toEqual([
      ['s3://bucket/a', undefined],
      ['https://host/b', undefined],
    ]);
  });

  it('a missing dvc.yaml has no stages, and removing a stage from it writes nothing', async () => {
    const file = PipelineFile.load(repo, 'missing/dvc.yaml');
    expect(file.stages).toEqual([]);
    await file.removeStage(repo, 'x');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('a path through a file is an error, not a missing file', () => {
    write({ 'plain.txt': 'x' });
    expect(() => PipelineFile.load(repo, 'plain.txt/dvc.yaml')).toThrow(/ENOTDIR/);
  });

  it('no dvc.lock, or a folder where it would be, is no lock', () => {
    write({ 'dvc.yaml': YAML });
    expect(PipelineFile.load(repo, 'dvc.yaml').hasLockEntry('train')).toBe(false);
    mkdirSync(join(dir, 'dvc.lock'));
    expect(PipelineFile.load(repo, 'dvc.yaml').hasLockEntry('train')).toBe(false);
  });

  it('a 1.x lock (stages at the top) is read; entries that are not mappings are skipped', () => {
    write({
      'dvc.yaml': YAML,
      'dvc.lock': 'train:\n  cmd: python train.py\nreport: [1, 2]\nother: text\nnothing: null\n',
    });
    const file = PipelineFile.load(repo, 'dvc.yaml');
    expect(file.hasLockEntry('train')).toBe(true);
    expect(file.hasLockEntry('report')).toBe(false);
    expect(file.hasLockEntry('other')).toBe(false);
    expect(file.hasLockEntry('nothing')).toBe(false);
  });

  it.each([
    ['- a\n- b\n', "'dvc.lock:1' is invalid: expected a mapping at the top level"],
    ["schema: '3.0'\nstages: {}\n", "'dvc.lock' is invalid: unsupported lock file schema '3.0'"],
    ["schema: '2.0'\nstages: [a]\n", "'dvc.lock' is invalid: 'stages' must be a mapping"],
    ["schema: '2.0'\nstages: 5\n", "'dvc.lock' is invalid: 'stages' must be a mapping"],
    ["schema: '2.0'\nstages: text\n", "'dvc.lock' is invalid: 'stages' must be a mapping"],
    ['just text\n', "'dvc.lock:1' is invalid: expected a mapping at the top level"],
    ['7\n', "'dvc.lock:1' is invalid: expected a mapping at the top level"],
  ])('refuses a lock file %j', (lock, message) => {
    write({ 'dvc.yaml': YAML, 'dvc.lock': lock });
    const error = refusal(() => PipelineFile.load(repo, 'dvc.yaml'));
    expect([error.code, error.message]).toEqual(['BAD_DVCFILE', message]);
  });

  it('a schema 2.0 lock without stages has no entries', () => {
    write({ 'dvc.yaml': YAML, 'dvc.lock': "schema: '2.0'\n" });
    expect(PipelineFile.load(repo, 'dvc.yaml').hasLockEntry('train')).toBe(false);
    // An empty document (`null`) is no entries, as DVC reads it.
    write({ 'dvc.lock': 'null\n' });
    expect(PipelineFile.load(repo, 'dvc.yaml').hasLockEntry('train')).toBe(false);
  });

  it('refuses a stage that lists a path twice', () => {
    for (const stage of ['deps: [a, a]', 'deps: [a]\n    outs: [a]', 'outs: [x, ./x]']) {
      write({ 'dvc.yaml': `stages:\n  s:\n    cmd: echo\n    ${stage}\n` });
      const error = refusal(() => PipelineFile.load(repo, 'dvc.yaml'));
      expect(error.code).toBe('BAD_DVCFILE');
      expect(error.message).toMatch(/^'dvc\.yaml': stage 's' lists '(a|x)' more than once$/);
      expect(error.hint).toContain('once per stage');
    }
  });

  it('an unreadable file is an error, not a missing one', () => {
    write({ 'dvc.yaml': YAML, 'dvc.lock': LOCK });
    chmodSync(join(dir, 'dvc.lock'), 0o000);
    if (process.getuid?.() === 0) return; // root reads it anyway
    expect(() => PipelineFile.load(repo, 'dvc.yaml')).toThrow(/EACCES/);
  });
});

describe('PipelineFile lock writes', () => {
  it('recordParams reads the values now in the params files; a missing one is named', () => {
    write({
      'dvc.yaml': YAML,
      'work/params.yaml': 'lr: 0.1\nother: 1\n',
      'work/cfg.yaml': 'depth: 4\n',
    });
    const file = PipelineFile.load(repo, 'dvc.yaml');
    const train = file.stages[0];
    if (train === undefined) throw new Error('no stage');
    PipelineFile.recordParams(repo, train);
    expect(train.deps[0]?.params?.recorded).toEqual({ lr: new PyFloat(0.1) });
    expect(train.deps[1]?.params?.recorded).toEqual({ depth: 4 });
    rmSync(join(dir, 'work', 'cfg.yaml'));
    const error = refusal(() => PipelineFile.recordParams(repo, train));
    expect([error.code, error.message, error.hint]).toEqual([
      'NOT_FOUND',
      "params file 'work/cfg.yaml' does not exist",
      "create it, or remove the params of stage 'train'",
    ]);
  });

  it('a new entry is added after the others, which stay as they were', async () => {
    write({ 'dvc.yaml': YAML, 'dvc.lock': LOCK });
    const file = PipelineFile.load(repo, 'dvc.yaml');
    const report = file.stages[1];
    if (report === undefined) throw new Error('no stage');
    await file.writeLock(repo, [report]);
    expect(read('dvc.lock')).toBe(`${LOCK}  report:\n    cmd: echo report\n`);
    expect(file.hasLockEntry('report')).toBe(true);
    // The same entry again leaves the file alone: not even written.
    const written = statSync(join(dir, 'dvc.lock')).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 30));
    await PipelineFile.load(repo, 'dvc.yaml').writeLock(repo, [report]);
    expect(statSync(join(dir, 'dvc.lock')).mtimeMs).toBe(written);
    expect(read('dvc.lock')).toBe(`${LOCK}  report:\n    cmd: echo report\n`);
  });

  it('an entry with float params, recorded again unchanged, is not written', async () => {
    write({
      'dvc.yaml': 'stages:\n  t:\n    cmd: echo t\n    params:\n    - lr\n    - alpha\n    - one\n',
      'params.yaml': 'lr: 0.1\nalpha: 1.0e-05\none: 1.0\n',
    });
    let file = PipelineFile.load(repo, 'dvc.yaml');
    await file.writeLock(repo, file.stages);
    const written = statSync(join(dir, 'dvc.lock')).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 30));
    file = PipelineFile.load(repo, 'dvc.yaml');
    await file.writeLock(repo, file.stages);
    expect(statSync(join(dir, 'dvc.lock')).mtimeMs).toBe(written);
    expect(read('dvc.lock')).toContain('alpha: 1e-05\n        lr: 0.1\n        one: 1.0\n');
  });

  it('removeStage takes the stage out of dvc.yaml and dvc.lock; the last one takes the lock', async () => {
    write({ 'dvc.yaml': 'stages:\n  a:\n    cmd: echo a\n  b:\n    cmd: echo b\n' });
    let file = PipelineFile.load(repo, 'dvc.yaml');
    await file.writeLock(repo, file.stages);
    expect(read('dvc.lock')).toBe(
      "schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n  b:\n    cmd: echo b\n",
    );
    await file.removeStage(repo, 'a');
    expect(read('dvc.yaml')).toBe('stages:\n  b:\n    cmd: echo b\n');
    expect(read('dvc.lock')).toBe("schema: '2.0'\nstages:\n  b:\n    cmd: echo b\n");
    file = PipelineFile.load(repo, 'dvc.yaml');
    await file.removeStage(repo, 'b');
    expect(existsSync(join(dir, 'dvc.yaml'))).toBe(false);
    expect(existsSync(join(dir, 'dvc.lock'))).toBe(false);
    // A stage in neither file changes neither.
    write({ 'dvc.yaml': 'stages:\n  c:\n    cmd: echo c\n' });
    file = PipelineFile.load(repo, 'dvc.yaml');
    await file.removeStage(repo, 'nope');
    expect(read('dvc.yaml')).toBe('stages:\n  c:\n    cmd: echo c\n');
    expect(existsSync(join(dir, 'dvc.lock'))).toBe(false);
  });
});
