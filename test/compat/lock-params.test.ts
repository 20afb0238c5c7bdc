import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  makeRepo,
  read,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

afterEach(cleanupSandboxes);

/**
 * Several params files whose names sort before and after `params.yaml` (DVC keeps the default
 * file first in dvc.lock and the others by name, in code-point order: `B.yaml` before `a.json`),
 * listed in dvc.yaml in orders that are neither.
 */
const PARAMS_FILES = {
  'params.yaml': 'seed: 7\nlr: 0.25\nunused: 1\n',
  'b.yaml': 'beta: 2\nalpha:\n  z: 1\n  a: 2\n',
  'B.yaml': 'upper: true\n',
  'a.json': '{"zeta": [3, 1], "a": {"y": 1, "x": 2}, "m": "text"}\n',
  'z.toml': '[opt]\nrate = 3\nmomentum = 0.9\n\n[extra]\nname = "z"\n',
};

const DVC_YAML = `stages:
  mixed:
    cmd: echo mixed > mixed.txt
    params:
    - z.toml:
      - opt
    - b.yaml:
      - beta
      - alpha
    - seed
    - a.json:
      - zeta
      - a.x
      - m
    - B.yaml:
      - upper
    - lr
    outs:
    - mixed.txt
  default_last:
    cmd: echo last > last.txt
    params:
    - z.toml:
      - extra.name
    - a.json:
      - a
    - params.yaml:
      - lr
      - seed
    outs:
    - last.txt
  no_default:
    cmd: echo none > none.txt
    params:
    - z.toml:
    - b.yaml:
      - alpha.a
    - a.json:
      - m
    outs:
    - none.txt
`;

describe('dvc.lock with several params files', () => {
  it('sluice repro writes the dvc.lock that dvc repro writes, byte for byte', () => {
    const ours = makeRepo('sluice');
    const theirs = makeRepo('dvc');
    for (const dir of [ours, theirs]) writeTree(dir, { ...PARAMS_FILES, 'dvc.yaml': DVC_YAML });
    sluiceOk(ours, 'repro');
    dvcOk(theirs, 'repro');
    const lock = read(theirs, 'dvc.lock');
    // The scenario does exercise the ordering: DVC put params.yaml before the files named before it.
    expect(lock.indexOf('      params.yaml:')).toBeLessThan(lock.indexOf('      B.yaml:'));
    expect(read(ours, 'dvc.lock')).toBe(lock);
    expect(dvcOk(ours, 'status').stdout).toContain('Data and pipelines are up to date.');
    expect(sluiceOk(theirs, 'status').stdout).toContain('Data and pipelines are up to date.');
  });
});
