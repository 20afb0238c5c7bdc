import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateDvcFile } from '../../../src/core/dvcfile/dvcFileSchema.js';
import { dumpLockFile, parseLockFile, updateLockText } from '../../../src/core/dvcfile/lockFile.js';
import { dumpYaml, parseYamlFile, updateYamlText } from '../../../src/core/dvcfile/yamlFormat.js';
import { dvcBinary, requireTool } from '../../helpers/tools.js';

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

  it('dvc.lock re-dumps byte for byte through dumpLockFile', () => {
    const lock = parseLockFile(lockBefore, 'dvc.lock');
    expect([...lock.stages.keys()]).toEqual(['copy', 'long', 'multi']);
    expect(dumpLockFile(lock.stages)).toBe(lockBefore);
    const shuffled = new Map(
      [...lock.stages].map(([name, e]) => [
        name,
        { ...e, deps: e.deps?.slice().reverse(), outs: e.outs?.slice().reverse() },
      ]),
    );
    expect(dumpLockFile(shuffled)).toBe(lockBefore);
  });

  it('updateLockText reproduces the lock after a repro of one stage', () => {
    const after = parseLockFile(lockAfter, 'dvc.lock');
    const copy = after.stages.get('copy');
    expect(copy).toBeDefined();
    if (copy === undefined) return;
    expect(updateLockText(lockBefore, new Map([['copy', copy]]))).toBe(lockAfter);
    // Unchanged stages leave the text alone.
    expect(updateLockText(lockAfter, after.stages)).toBe(lockAfter);
  });
});
