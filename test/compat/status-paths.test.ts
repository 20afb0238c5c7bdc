import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, dvcOk, makeRepo, sluice, dvc, writeTree } from '../helpers/sandbox.js';

/**
 * Paths in `status` are relative to where the command runs and normalised, as DVC prints them
 * (issue 17, item 4), and stages are listed in the order of DVC's top-down walk.
 */

afterEach(cleanupSandboxes);

type Tool = 'sluice' | 'dvc';

const FILES = {
  'sub/data/ml-1m/r.txt': 'a\n',
  'sub/params.yaml': 'lr: 1\n',
  'other/deep/f.txt': 'x\n',
  'sub/dvc.yaml': `stages:
  prep:
    cmd: mkdir -p model && echo m > model/clf
    params:
    - lr
    deps:
    - data/ml-1m/
    outs:
    - model//clf
`,
  'dvc.yaml': `stages:
  top:
    cmd: echo top > top.txt
    outs:
    - top.txt
`,
};

function run(tool: Tool, cwd: string, ...args: string[]): string {
  const result = (tool === 'sluice' ? sluice : dvc)(cwd, ...args);
  // `status` exits 0 whether or not something changed; anything else is a failure
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** A repository with a `dvc.yaml` in a sub-folder and a `.dvc` file two folders down. */
function changedRepo(): string {
  const root = makeRepo('dvc');
  writeTree(root, FILES);
  dvcOk(root, 'add', '-q', 'other/deep/f.txt');
  writeTree(root, { 'other/deep/f.txt': 'y\n' });
  return root;
}

describe('status paths', () => {
  it('are relative to the working folder and normalised, in text and JSON', () => {
    const root = changedRepo();
    for (const where of ['', 'sub', 'other', 'other/deep']) {
      const cwd = join(root, where);
      const expected = {
        json: JSON.parse(run('dvc', cwd, 'status', '--json')) as unknown,
        text: run('dvc', cwd, 'status'),
      };
      const actual = {
        json: JSON.parse(run('sluice', cwd, 'status', '--json')) as unknown,
        text: run('sluice', cwd, 'status'),
      };
      expect({ where, ...actual }).toEqual({ where, ...expected });
    }
  });
});
