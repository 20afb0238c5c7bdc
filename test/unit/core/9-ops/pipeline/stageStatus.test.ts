import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Repo } from '../../../../../src/core/6-repo/repo.js';
import { StageIndex } from '../../../../../src/core/7-metafiles/stageIndex.js';
import type { Stage } from '../../../../../src/core/7-metafiles/stage.js';
import { computeStageMd5 } from '../../../../../src/core/7-metafiles/dvcFile.js';
import { add } from '../../../../../src/core/9-ops/data/add.js';
import { commit } from '../../../../../src/core/9-ops/data/commit.js';
import { importRepo } from '../../../../../src/core/9-ops/imports/importRepo.js';
import {
  dependencyStatus,
  paramsStatus,
  repoStatus,
  stageStatus,
  type StageStatusOptions,
} from '../../../../../src/core/9-ops/pipeline/stageStatus.js';
import { openScratchRepo } from '../../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeEach(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-stage-status-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
const read = (path: string): string => readFileSync(join(dir, path), 'utf8');

/** A fresh handle and index, as a new command would load them. */
async function stageNamed(address: string): Promise<{ index: StageIndex; stage: Stage }> {
  repo = await Repo.open(dir);
  const index = StageIndex.load(repo);
  const stage = index.stages.find((s) => s.address() === address);
  if (stage === undefined) throw new Error(`no stage ${address}`);
  return { index, stage };
}

async function status(address: string, options: StageStatusOptions = {}): Promise<unknown[]> {
  const { index, stage } = await stageNamed(address);
  return stageStatus(repo, index, stage, options);
}

const PIPELINE = `stages:
  train:
    cmd: python train.py
    deps:
    - data.txt
    - train.py
    params:
    - lr
    outs:
    - model.bin
    - metrics.json:
        cache: false
`;

/** A pipeline whose lock matches the workspace, everything cached. */
async function committedPipeline(yaml = PIPELINE): Promise<void> {
  write({
    'dvc.yaml': yaml,
    'params.yaml': 'lr: 0.1\n',
    'data.txt': 'data\n',
    'train.py': 'print(1)\n',
    'model.bin': 'model\n',
    'metrics.json': '{"acc": 1}\n',
  });
  await commit(repo, [], { cwd: dir, force: true });
  repo = await Repo.open(dir);
}

describe('stageStatus of a pipeline stage', () => {
  it('is empty when the workspace matches the lock', async () => {
    await committedPipeline();
    expect(await status('train')).toEqual([]);
  });

  it('names a modified and a deleted dependency, and a changed param', async () => {
    await committedPipeline();
    write({ 'data.txt': 'other data\n', 'params.yaml': 'lr: 0.2\n' });
    rmSync(join(dir, 'train.py'));
    expect(await status('train')).toEqual([
      {
        'changed deps': {
          'data.txt': 'modified',
          'train.py': 'deleted',
          'params.yaml': { lr: 'modified' },
        },
      },
    ]);
    // --allow-missing ignores the deleted dependency only.
    expect(await status('train', { allowMissing: true })).toEqual([
      { 'changed deps': { 'data.txt': 'modified', 'params.yaml': { lr: 'modified' } } },
    ]);
    // repro only needs a yes/no: the first change found.
    const [first] = (await status('train', { shortCircuit: true })) as Array<
      Record<string, Record<string, unknown>>
    >;
    expect(Object.keys(first)).toEqual(['changed deps']);
    expect(Object.keys(first['changed deps'])).toHaveLength(1);
  });

  it('names modified, deleted and uncached outputs; a non-cached output is never "not in cache"', async () => {
    await committedPipeline();
    write({ 'metrics.json': '{"acc": 0.5}\n' });
    rmSync(join(dir, 'model.bin'));
    expect(await status('train')).toEqual([
      { 'changed outs': { 'model.bin': 'deleted', 'metrics.json': 'modified' } },
    ]);
    expect(await status('train', { allowMissing: true })).toEqual([
      { 'changed outs': { 'metrics.json': 'modified' } },
    ]);
    expect(await status('train', { shortCircuit: true })).toEqual([
      { 'changed outs': { 'model.bin': 'deleted' } },
    ]);
    write({ 'model.bin': 'model\n', 'metrics.json': '{"acc": 1}\n' });
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true });
    expect(await status('train')).toEqual([{ 'changed outs': { 'model.bin': 'not in cache' } }]);
    expect(await status('train', { allowMissing: true })).toEqual([]);
  });

  it('says "changed command" after the command changed, last', async () => {
    await committedPipeline();
    write({ 'dvc.yaml': PIPELINE.replace('python train.py', 'python train.py --fast') });
    expect(await status('train')).toEqual(['changed command']);
    write({ 'data.txt': 'new data!\n' });
    expect(await status('train')).toEqual([
      { 'changed deps': { 'data.txt': 'modified' } },
      'changed command',
    ]);
  });

  it('treats a stage never run as modified everywhere, without "changed command"', async () => {
    write({
      'dvc.yaml': PIPELINE.replace('    params:\n    - lr\n', ''),
      'data.txt': 'd\n',
      'train.py': '',
    });
    expect(await status('train')).toEqual([
      { 'changed deps': { 'data.txt': 'modified', 'train.py': 'modified' } },
      { 'changed outs': { 'model.bin': 'deleted', 'metrics.json': 'deleted' } },
    ]);
  });

  it('skips the dependencies of a frozen stage but not its outputs', async () => {
    await committedPipeline(
      PIPELINE.replace(
        '    cmd: python train.py\n',
        '    cmd: python train.py\n    frozen: true\n',
      ),
    );
    write({ 'data.txt': 'changed data\n', 'model.bin': 'changed model\n' });
    expect(await status('train')).toEqual([{ 'changed outs': { 'model.bin': 'modified' } }]);
  });

  it('reports an always-changed stage and a callback stage (no deps, no outs) as always changed', async () => {
    await committedPipeline(
      PIPELINE.replace(
        '    cmd: python train.py\n',
        '    cmd: python train.py\n    always_changed: true\n',
      ),
    );
    expect(await status('train')).toEqual(['always changed']);
    write({ 'dvc.yaml': 'stages:\n  cb:\n    cmd: date\n' });
    await commit(repo, [], { cwd: dir, force: true });
    expect(await status('cb')).toEqual(['always changed']);
    // A stage with an output is no callback.
    write({
      'dvc.yaml': 'stages:\n  cb:\n    cmd: date > now.txt\n    outs:\n    - now.txt\n',
      'now.txt': 'x\n',
    });
    await commit(repo, [], { cwd: dir, force: true });
    expect(await status('cb')).toEqual([]);
  });
  it('a params file that is gone is deleted; one that cannot be read is an error', async () => {
    await committedPipeline();
    rmSync(join(dir, 'params.yaml'));
    expect(await status('train')).toEqual([{ 'changed deps': { 'params.yaml': 'deleted' } }]);
    mkdirSync(join(dir, 'params.yaml'));
    await expect(status('train')).rejects.toThrow(/EISDIR/);
  });
});

describe('stageStatus of .dvc files', () => {
  it('a tracked file: unchanged, modified, and a stray stage md5', async () => {
    write({ 'data.csv': 'a,b\n' });
    await add(repo, ['data.csv'], { cwd: dir });
    expect(await status('data.csv.dvc')).toEqual([]);
    write({ 'data.csv': 'a,b,c\n' });
    expect(await status('data.csv.dvc')).toEqual([{ 'changed outs': { 'data.csv': 'modified' } }]);
    write({
      'data.csv': 'a,b\n',
      'data.csv.dvc': `md5: ${'a'.repeat(32)}\n${read('data.csv.dvc')}`,
    });
    expect(await status('data.csv.dvc')).toEqual(['changed checksum']);
    // A data file's stage md5 is always stray, even one equal to the md5 of its content
    // (computed when it lists an empty `deps`): DVC computes none for data.
    const data = { deps: [], outs: [{ path: 'data.csv' }] };
    write({
      'data.csv.dvc': `md5: ${computeStageMd5(data)}\ndeps: []\nouts:\n- path: data.csv\n`,
    });
    expect(await status('data.csv.dvc')).toContain('changed checksum');
  });

  it('an old single-stage file: its stage md5 is checked against its content', async () => {
    write({
      'in.txt': 'in\n',
      'out.txt': 'out\n',
      Dvcfile: 'cmd: cp in.txt out.txt\ndeps:\n- path: in.txt\nouts:\n- path: out.txt\n',
    });
    await commit(repo, ['Dvcfile'], { cwd: dir, force: true });
    expect(await status('Dvcfile')).toEqual([]);
    write({
      Dvcfile: read('Dvcfile').replace('cmd: cp in.txt out.txt', 'cmd: cp -v in.txt out.txt'),
    });
    expect(await status('Dvcfile')).toEqual(['changed checksum']);
  });
});

describe('dependencyStatus and repoStatus', () => {
  it('takes a URL dependency from the statuses looked at beforehand; counts an unrecorded one as modified', async () => {
    write({
      'x.dvc': `deps:\n- path: https://example.com/x\n  etag: abc\n- path: local.txt\nouts:\n- path: x\n`,
      'local.txt': 'l\n',
    });
    const { stage } = await stageNamed('x.dvc');
    expect(dependencyStatus(repo, stage.deps[0])).toBeUndefined();
    expect(dependencyStatus(repo, stage.deps[0], new Map([[stage.deps[0], 'modified']]))).toBe(
      'modified',
    );
    expect(dependencyStatus(repo, stage.deps[1])).toBe('modified');
    // Only a params dependency has a params status.
    expect(paramsStatus(repo, stage.deps[1])).toBeUndefined();
  });

  it('lists only the stages that changed, by address from the cwd', async () => {
    await committedPipeline();
    write({ 'sub/a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    await add(repo, ['sub/a.txt', 'sub/b.txt'], { cwd: dir });
    write({ 'sub/a.txt': 'changed\n' });
    repo = await Repo.open(dir);
    const index = StageIndex.load(repo);
    expect(await repoStatus(repo, index, index.stages, 'sub')).toEqual({
      'a.txt.dvc': [{ 'changed outs': { 'a.txt': 'modified' } }],
    });
  });
});

describe('stageStatus of a repo import', () => {
  let upstream = '';
  beforeEach(() => {
    upstream = mkdtempSync(join(tmpdir(), 'sluice-stage-status-upstream-'));
  });
  afterEach(() => {
    rmSync(upstream, { recursive: true, force: true });
  });

  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: upstream,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });

  /** A second git repository holding a git-tracked `data.txt`, and one commit. */
  function upstreamCommit(text: string): string {
    writeFileSync(join(upstream, 'data.txt'), text);
    git('add', 'data.txt');
    git('commit', '-q', '-m', text);
    return git('rev-parse', 'HEAD').trim();
  }

  /** `import` of the upstream's data.txt, with its .dvc file as the core writes it. */
  async function imported(): Promise<void> {
    git('init', '-q');
    mkdirSync(join(upstream, '.dvc'));
    writeFileSync(join(upstream, '.dvc', 'config'), '');
    git('add', '.dvc/config');
    upstreamCommit('v1\n');
    await importRepo(repo, upstream, 'data.txt', { cwd: dir });
    expect(read('data.txt')).toBe('v1\n');
  }

  const name = (): string => `data.txt (${upstream})`;

  it('is unchanged until the upstream moves, then "update available"', async () => {
    await imported();
    expect(await status('data.txt.dvc')).toEqual([]);
    upstreamCommit('v2\n');
    expect(await status('data.txt.dvc')).toEqual([
      { 'changed deps': { [name()]: 'update available' } },
    ]);
  });

  it('puts the update before the outputs, and stops there when asked to short-circuit', async () => {
    await imported();
    upstreamCommit('v2\n');
    write({ 'data.txt': 'edited\n' });
    expect(await status('data.txt.dvc')).toEqual([
      { 'changed deps': { [name()]: 'update available' } },
      { 'changed outs': { 'data.txt': 'modified' } },
    ]);
    expect(await status('data.txt.dvc', { shortCircuit: true })).toEqual([
      { 'changed deps': { [name()]: 'update available' } },
    ]);
  });

  it('a repo dependency of a stage that is not frozen is checked once, by its upstream', async () => {
    await imported();
    // Not frozen (a key the stage md5 leaves out): the dependency is looked at only upstream,
    // its path being no workspace file of this repository, and named once.
    write({ 'data.txt.dvc': read('data.txt.dvc').replace('frozen: true\n', '') });
    rmSync(join(dir, 'data.txt'));
    expect(await status('data.txt.dvc')).toEqual([{ 'changed outs': { 'data.txt': 'deleted' } }]);
    upstreamCommit('v2\n');
    expect(await status('data.txt.dvc')).toEqual([
      { 'changed deps': { [name()]: 'update available' } },
      { 'changed outs': { 'data.txt': 'deleted' } },
    ]);
  });
});
