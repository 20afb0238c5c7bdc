import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpYaml } from '../../../../src/core/7-metafiles/yaml/dump.js';
import { PipelineFile } from '../../../../src/core/7-metafiles/pipelineFile.js';
import type { Repo } from '../../../../src/core/6-repo/repo.js';
import {
  Dependency,
  Output,
  Stage,
  type RecordedState,
} from '../../../../src/core/7-metafiles/stage.js';
import { openScratchRepo } from '../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeAll(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-lock-entry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stageWith(
  deps: Array<[string, RecordedState]>,
  params: Array<[string, Record<string, unknown>]>,
  outs: Array<[string, RecordedState]>,
): Stage {
  const stage = new Stage('pipeline', 'dvc.yaml', '', {
    name: 's',
    cmd: 'run it',
    frozen: false,
    alwaysChanged: false,
  });
  for (const [file, recorded] of params) {
    stage.deps.push(
      new Dependency(stage, file, file, {}, { file, keys: Object.keys(recorded), recorded }),
    );
  }
  for (const [path, recorded] of deps) stage.deps.push(new Dependency(stage, path, path, recorded));
  for (const [path, recorded] of outs) {
    stage.outs.push(
      new Output(stage, path, path, recorded, {
        cache: true,
        persist: false,
        kind: 'out',
        push: true,
      }),
    );
  }
  return stage;
}

const md5 = (value: string): RecordedState => ({ hash: { name: 'md5', value }, size: 3 });

describe('lock entries (PipelineFile.lockEntryFor)', () => {
  it('params files: params.yaml first, then by code point; keys sorted, not recursively', () => {
    const stage = stageWith(
      [],
      [
        ['z.toml', { opt: { rate: 3, momentum: 0.9 } }],
        ['b.yaml', { beta: 2, alpha: 1 }],
        ['params.yaml', { seed: 7, lr: 0.25 }],
        ['a.json', { m: 'x' }],
        ['B.yaml', { upper: true }],
      ],
      [],
    );
    const entry = PipelineFile.lockEntryFor(repo, stage);
    const params = entry.params as Record<string, Record<string, unknown>>;
    expect(Object.keys(params)).toEqual(['params.yaml', 'B.yaml', 'a.json', 'b.yaml', 'z.toml']);
    expect(Object.keys(params['params.yaml'] ?? {})).toEqual(['lr', 'seed']);
    expect(Object.keys(params['b.yaml'] ?? {})).toEqual(['alpha', 'beta']);
    expect(Object.keys((params['z.toml']?.opt as object | undefined) ?? {})).toEqual([
      'rate',
      'momentum',
    ]);
    expect(Object.keys(entry)).toEqual(['cmd', 'params']);
  });

  it('params.yaml first wherever it is listed, and in the middle of the others', () => {
    for (const order of [
      ['a.yaml', 'params.yaml'],
      ['params.yaml', 'a.yaml'],
      ['z.yaml', 'params.yaml', 'a.yaml'],
    ]) {
      const stage = stageWith(
        [],
        order.map((file) => [file, { k: 1 }]),
        [],
      );
      const params = PipelineFile.lockEntryFor(repo, stage).params as object;
      expect(Object.keys(params)[0]).toBe('params.yaml');
      expect(Object.keys(params).slice(1)).toEqual(order.filter((f) => f !== 'params.yaml').sort());
    }
  });

  it('deps and outs sorted by path (code point), each with the fields DVC writes', () => {
    const stage = stageWith(
      [
        ['src/b.py', md5('bbb')],
        ['data', { hash: { name: 'md5', value: 'ddd.dir' }, size: 30, nfiles: 2 }],
        ['src/a.py', { hash: { name: 'md5-dos2unix', value: 'aaa' } }],
        ['Z.csv', { hash: { name: 'md5', value: 'zzz' }, size: 0, isexec: true }],
        ['s3://bucket/key', { etag: 'e1', size: 5 }],
        ['remote.bin', { checksum: 'c1', isexec: false }],
      ],
      [],
      [
        ['out/y', md5('yyy')],
        ['out/x', md5('xxx')],
      ],
    );
    const entry = PipelineFile.lockEntryFor(repo, stage);
    expect(entry).toEqual({
      cmd: 'run it',
      deps: [
        { path: 'Z.csv', hash: 'md5', md5: 'zzz', size: 0, isexec: true },
        { path: 'data', hash: 'md5', md5: 'ddd.dir', size: 30, nfiles: 2 },
        { path: 'remote.bin', checksum: 'c1' },
        { path: 's3://bucket/key', etag: 'e1', size: 5 },
        { path: 'src/a.py', md5: 'aaa' },
        { path: 'src/b.py', hash: 'md5', md5: 'bbb', size: 3 },
      ],
      outs: [
        { path: 'out/x', hash: 'md5', md5: 'xxx', size: 3 },
        { path: 'out/y', hash: 'md5', md5: 'yyy', size: 3 },
      ],
    });
    // Field order is the order DVC writes them in.
    const deps = entry.deps as Array<Record<string, unknown>>;
    expect(Object.keys(deps[1] ?? {})).toEqual(['path', 'hash', 'md5', 'size', 'nfiles']);
    expect(Object.keys(deps[0] ?? {})).toEqual(['path', 'hash', 'md5', 'size', 'isexec']);
    // Fields a record lacks are left out, not written empty.
    expect(deps.map((d) => Object.keys(d).length)).toEqual([5, 5, 2, 3, 2, 4]);
    expect(dumpYaml(entry)).toContain(
      '- path: Z.csv\n  hash: md5\n  md5: zzz\n  size: 0\n  isexec: true\n',
    );
  });

  it('a stage with only a command has only cmd', () => {
    expect(PipelineFile.lockEntryFor(repo, stageWith([], [], []))).toEqual({ cmd: 'run it' });
  });
});
