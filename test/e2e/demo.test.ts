import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, git, type RunResult, sluice, tempDir } from '../helpers/sandbox.js';

describe('sluice demo', () => {
  let dir: string;
  let result: RunResult;

  beforeAll(() => {
    dir = join(tempDir('sluice-demo-'), 'project');
    // Not a terminal (the output is piped), so the demo prints how to open the ui instead of
    // serving it; --no-ui says the same explicitly.
    result = sluice(tempDir(), 'demo', dir, '--no-ui');
  }, 120_000);

  afterAll(cleanupSandboxes);

  it('runs the tutorial to the end', () => {
    expect(result.stderr + result.stdout).not.toMatch(/ERROR/);
    expect(result.code).toBe(0);
  });

  it('prints each command it runs', () => {
    for (const line of [
      '$ git init -q -b main',
      '$ sluice init',
      '$ sluice import-url http://127.0.0.1:',
      '$ sluice run -d data/train_data.csv',
      '-f featurization.dvc node code/featurization.mjs',
      '-f training.dvc node code/train_model.mjs',
      '-f Dvcfile node code/eval.mjs',
      '$ sluice metrics show',
      '$ sluice repro',
      '$ sluice metrics show -a',
      '$ sluice metrics diff main',
      '$ sluice remote add -d myremote',
      '$ sluice push',
      '$ sluice pull',
    ]) {
      expect(result.stdout).toContain(line);
    }
    expect(result.stdout).toMatch(/sluice ui/);
  });

  it('reaches an accuracy of at least 0.90, on main and on the branch', () => {
    const m = /Accuracy on the test set: main ([\d.]+), more-epochs ([\d.]+)/.exec(result.stdout);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(0.9);
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(0.9);
    // The printed value is the pipeline's own metric, committed on the branch.
    const metric = JSON.parse(readFileSync(join(dir, 'metrics/eval.json'), 'utf8')) as {
      accuracy: number;
    };
    expect(metric.accuracy.toFixed(4)).toBe(m?.[2]);
  });

  it('writes the tutorial stage files and imports the data', () => {
    for (const file of [
      'featurization.dvc',
      'training.dvc',
      'Dvcfile',
      'data/train_data.csv.dvc',
      'data/test_data.csv.dvc',
    ]) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    const imported = readFileSync(join(dir, 'data/train_data.csv.dvc'), 'utf8');
    expect(imported).toMatch(/frozen: true/);
    expect(imported).toMatch(/path: http:\/\/127\.0\.0\.1:\d+\/train_data\.csv/);
  });

  it('shows the change in metrics diff', () => {
    // The table row for eval.json's accuracy, with old, new and a non-zero change.
    const row = result.stdout
      .split('\n')
      .find((l) => /^metrics\/eval\.json\s+accuracy\s+[\d.]+\s+[\d.]+\s+[-\d.]+\s*$/.test(l));
    expect(row, result.stdout).toBeDefined();
    const [, , oldValue, newValue, change] = (row ?? '').trim().split(/\s+/);
    expect(Number(newValue)).toBeGreaterThan(Number(oldValue));
    expect(Number(change)).not.toBe(0);
  });

  it('commits the branch and leaves a clean, up-to-date project', () => {
    expect(git(dir, 'branch', '--show-current').stdout.trim()).toBe('more-epochs');
    expect(git(dir, 'status', '--porcelain').stdout).toBe('');
    const status = sluice(dir, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout + status.stderr).toMatch(/up to date/);
  });

  it('restored the outputs and the cache with pull', () => {
    for (const file of ['data/model.pkl', 'data/processed_train_data.npy']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    expect(existsSync(join(dir, '.dvc/cache/files/md5'))).toBe(true);
    expect(existsSync(`${dir}-remote`)).toBe(true);
  });

  it('refuses a folder that is not empty', () => {
    const busy = tempDir();
    mkdirSync(join(busy, 'x'));
    writeFileSync(join(busy, 'x', 'keep.txt'), 'keep');
    const refused = sluice(busy, 'demo', 'x', '--no-ui');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^ERROR: .*x' is not empty/m);
    expect(readFileSync(join(busy, 'x', 'keep.txt'), 'utf8')).toBe('keep');
  });
});

describe('the CLI help', () => {
  it('suggests the nearest command for a typo', () => {
    const typo = sluice(tempDir(), 'sttaus');
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/Did you mean status\?/);
  });

  it('lists the demo in sluice --help and documents its flags', () => {
    expect(sluice(tempDir(), '--help').stdout).toMatch(/^\s+demo \[options\] \[dir\]/m);
    const help = sluice(tempDir(), 'demo', '--help').stdout;
    for (const flag of ['--python', '--no-ui', '--port <n>']) expect(help).toContain(flag);
  });
});
