import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDvcFile } from '../../../../src/core/7-metafiles/dvcFileSchema.js';
import { dumpYaml } from '../../../../src/core/7-metafiles/yaml/dump.js';
import { parseYamlFile } from '../../../../src/core/7-metafiles/yaml/parse.js';
import { updateYamlText } from '../../../../src/core/7-metafiles/yaml/update.js';
import { PipelineFile } from '../../../../src/core/7-metafiles/pipelineFile.js';
import { Repo } from '../../../../src/core/6-repo/repo.js';
import { dvcBinary, requireTool } from '../../../helpers/tools.js';

let dir = '';
const longCmd = `echo ${'abcdefghij '.repeat(20)}> long.txt`;
const multiCmd = 'echo one > multi.txt\necho two >> multi.txt';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    cwd: dir,
    env: { ...process.env, DVC_NO_ANALYTICS: '1' },
  }).toString('utf8');
}
const dvc = (...args: string[]): string =>
  run(requireTool(dvcBinary, 'scripts/ensure-tools.sh'), args);
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

describe('metafiles written by real DVC', () => {
  let lockBefore = '';
  let lockAfter = '';
  let fooDvcBefore = '';
  let fooDvcAfter = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-h2-'));
    run('git', ['init', '-q']);
    dvc('init', '-q');
    writeFileSync(join(dir, 'foo'), 'foo\n');
    writeFileSync(join(dir, 'params.yaml'), 'lr: 0.001\ntrain:\n  epochs: 10\n  ratio: 1.0\n');
    dvc('add', '-q', 'foo');
    fooDvcBefore = read('foo.dvc');
    dvc(
      'stage',
      'add',
      '-q',
      '-n',
      'copy',
      '-d',
      'foo',
      '-p',
      'lr,train.epochs,train.ratio',
      '-o',
      'bar',
      'cp foo bar',
    );
    dvc('stage', 'add', '-q', '-n', 'long', '-o', 'long.txt', longCmd);
    dvc('stage', 'add', '-q', '-n', 'multi', '-o', 'multi.txt', multiCmd);
    dvc('repro', '-q');
    lockBefore = read('dvc.lock');
    writeFileSync(join(dir, 'foo'), 'foo2\n');
    dvc('add', '-q', 'foo');
    fooDvcAfter = read('foo.dvc');
    dvc('repro', '-q', 'copy');
    lockAfter = read('dvc.lock');
  }, 240_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('foo.dvc re-dumps byte for byte and validates strictly', () => {
    const { doc, data } = parseYamlFile(fooDvcBefore, 'foo.dvc');
    validateDvcFile(data, 'foo.dvc', doc);
    expect(dumpYaml(data)).toBe(fooDvcBefore);
    const next = parseYamlFile(fooDvcAfter, 'foo.dvc').data;
    expect(updateYamlText(fooDvcBefore, next)).toBe(fooDvcAfter);
  });

  it('dvc.yaml (long and multi-line cmd) re-dumps byte for byte', () => {
    const text = read('dvc.yaml');
    expect(text).toContain('long:');
    expect(dumpYaml(parseYamlFile(text, 'dvc.yaml').data)).toBe(text);
  });

  /** The pipeline as every command loads it, with `lock` as dvc.lock. */
  async function loadWith(lock: string): Promise<{ repo: Repo; file: PipelineFile }> {
    writeFileSync(join(dir, 'dvc.lock'), lock);
    const repo = await Repo.open(dir);
    return { repo, file: PipelineFile.load(repo, 'dvc.yaml') };
  }

  it('dvc.lock comes out of the lock writer byte for byte', async () => {
    const { repo, file } = await loadWith(lockBefore);
    expect(file.stages.map((s) => s.name)).toEqual(['copy', 'long', 'multi']);
    // Written afresh, from nothing, in the order DVC wrote the stages.
    rmSync(join(dir, 'dvc.lock'));
    await file.writeLock(repo, file.stages);
    expect(read('dvc.lock')).toBe(lockBefore);
    // Deps and outs in another order still come out sorted by path.
    for (const stage of file.stages) {
      stage.deps.reverse();
      stage.outs.reverse();
    }
    rmSync(join(dir, 'dvc.lock'));
    await file.writeLock(repo, file.stages);
    expect(read('dvc.lock')).toBe(lockBefore);
  });

  it('the writer reproduces the lock DVC wrote after a repro of one stage', async () => {
    // The stage as DVC recorded it after its repro (foo is now foo2)...
    const after = await loadWith(lockAfter);
    const copy = after.file.stages.find((s) => s.name === 'copy');
    if (copy === undefined) throw new Error('no copy stage');
    const foo2 = createHash('md5').update('foo2\n').digest('hex');
    expect(copy.deps.find((d) => d.path === 'foo')?.recorded.hash?.value).toBe(foo2);
    // ...written over the lock from before: the other stages' entries stay as they were.
    const before = await loadWith(lockBefore);
    await before.file.writeLock(before.repo, [copy]);
    expect(read('dvc.lock')).toBe(lockAfter);
    // Writing every stage's unchanged entry gives the same bytes. (The file is written again all
    // the same: params read from params.yaml hold 0.001 as a float object, the lock's loader as a
    // plain number, and the writer compares entries as JSON.)
    const again = await loadWith(lockAfter);
    await again.file.writeLock(again.repo, again.file.stages);
    expect(read('dvc.lock')).toBe(lockAfter);
  });
});
