import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, dvc, dvcOk, makeRepo, sluice, writeTree } from '../helpers/sandbox.js';

/** `stage list` without targets lists the stages of `./dvc.yaml` only, as DVC (issue 17, item 5). */

afterEach(cleanupSandboxes);

const FILES = {
  'dvc.yaml': 'stages:\n  top:\n    cmd: echo top > top.txt\n    outs:\n    - top.txt\n',
  'sub/dvc.yaml': `stages:
  prep:
    cmd: echo m > model.bin
    outs:
    - model.bin
  check:
    cmd: echo
  use:
    cmd: cat model.bin
    deps:
    - model.bin
  eval:
    cmd: echo '{}' > m.json
    deps:
    - model.bin
    outs:
    - log.txt
    metrics:
    - m.json:
        cache: false
`,
  'other/deep/f.txt': 'x\n',
};

describe('stage list', () => {
  it("without targets lists the working folder's dvc.yaml; --all every stage", () => {
    const root = makeRepo('dvc');
    writeTree(root, FILES);
    dvcOk(root, 'add', '-q', 'other/deep/f.txt');
    for (const [where, args] of [
      ['', []],
      ['sub', []],
      ['', ['--all']],
      ['sub', ['--all']],
      ['', ['--name-only']],
      ['other', []],
    ] as const) {
      const cwd = join(root, where);
      const run = (tool: typeof sluice): unknown => {
        const result = tool(cwd, 'stage', 'list', ...args);
        return { where, args, code: result.code, stdout: result.stdout };
      };
      expect(run(sluice)).toEqual(run(dvc));
    }
  });
});
