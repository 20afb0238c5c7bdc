import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  dvcOk,
  git,
  makeRepo,
  read,
  sluice,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * Single-stage stage files (DVC 1.x, `sluice run` without `-n`): DVC 3 refuses them, Sluice
 * reads them, and says so when it writes one.
 */

afterEach(() => cleanupSandboxes());

/** example-get-started's evaluate.dvc of 2019, whose metric is a bare number. */
const EVALUATE_DVC = `md5: 9fa4ec9776dd8daa3f48c12108b0dccb
cmd: python src/evaluate.py model.pkl data/features auc.metric
wdir: .
deps:
- md5: fea9c7bb1242b5e43d682c5d43e7c1d1
  path: src/evaluate.py
outs:
- md5: 0eaa29dc9b8c89bb9ba1348b3c3cc772
  path: auc.metric
  cache: false
  metric: true
  persist: false
`;

describe('a DVC 1.x stage file with a metric output', () => {
  function history(): string {
    const root = makeRepo('dvc');
    writeTree(root, { 'evaluate.dvc': EVALUATE_DVC, 'auc.metric': '0.602818\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', '1.x');
    writeTree(root, {
      'dvc.yaml':
        'stages:\n  evaluate:\n    cmd: echo\n    metrics:\n    - auc.json:\n        cache: false\n',
      'auc.json': '{"auc": 0.7}\n',
    });
    git(root, 'rm', '-q', 'evaluate.dvc');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', '3.x');
    return root;
  }

  it('DVC 3 cannot load it (what Sluice improves on)', () => {
    const root = makeRepo('dvc');
    writeTree(root, { 'evaluate.dvc': EVALUATE_DVC, 'auc.metric': '0.602818\n' });
    const r = dvc(root, 'metrics', 'show', '--json');
    expect(r.stderr).toContain("'./evaluate.dvc' validation failed");
  });

  it('metrics show reads it in the workspace', () => {
    const root = makeRepo('dvc');
    writeTree(root, { 'evaluate.dvc': EVALUATE_DVC, 'auc.metric': '0.602818\n' });
    expect(JSON.parse(sluiceOk(root, 'metrics', 'show', '--json').stdout)).toEqual({
      '': { data: { 'auc.metric': { data: 0.602818 } } },
    });
  });

  it('metrics show -A reads it in old commits, beside dvc.yaml metrics of new ones', () => {
    const root = history();
    const [newer, older] = git(root, 'rev-list', 'HEAD').stdout.trim().split('\n');
    const shown = JSON.parse(sluiceOk(root, 'metrics', 'show', '-A', '--json').stdout) as Record<
      string,
      unknown
    >;
    expect(shown[older ?? '']).toEqual({ data: { 'auc.metric': { data: 0.602818 } } });
    // The revisions DVC 3 can read give what DVC gives.
    const dvcShown = JSON.parse(dvcOk(root, 'metrics', 'show', '-A', '--json').stdout) as Record<
      string,
      unknown
    >;
    expect(shown[newer ?? '']).toEqual(dvcShown[newer ?? '']);
    expect(shown['workspace']).toEqual(dvcShown['workspace']);
  });
});

describe('sluice run without -n', () => {
  it('writes a single-stage file and says on stderr how to write dvc.yaml instead', () => {
    const root = makeRepo('dvc');
    writeTree(root, { 'data.txt': 'd\n' });
    const r = sluiceOk(root, 'run', '-d', 'data.txt', '-o', 'out.txt', 'cat data.txt > out.txt');
    expect(read(root, 'out.txt.dvc')).toContain('cmd: cat data.txt > out.txt\n');
    expect(r.stdout).not.toContain('DVC 3');
    expect(r.stderr).toContain(
      "WARNING: 'out.txt.dvc' is a single-stage file, which DVC 3 cannot read: use " +
        '`sluice run -n NAME` to write the stage into dvc.yaml, or convert the file with ' +
        '`sluice stage migrate`',
    );
    // DVC 3 indeed refuses it, and reads what `stage migrate` makes of it.
    expect(dvc(root, 'status').code).not.toBe(0);
    sluiceOk(root, 'stage', 'migrate');
    expect(dvcOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
  });

  it('with -n, nothing is said', () => {
    const root = makeRepo('dvc');
    writeTree(root, { 'data.txt': 'd\n' });
    const r = sluiceOk(root, 'run', '-n', 's', '-d', 'data.txt', '-o', 'o', 'cat data.txt > o');
    expect(r.stderr).not.toContain('single-stage');
    writeFileSync(join(root, 'unused'), '');
    expect(sluice(root, 'status').code).toBe(0);
  });
});
