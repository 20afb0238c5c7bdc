import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  git,
  makeRepo,
  read,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/** A folder with its own `.dvc/` is another project: DVC leaves it alone (issue 17, item 1). */

afterEach(cleanupSandboxes);

type Tool = 'sluice' | 'dvc';

function runOk(tool: Tool, cwd: string, ...args: string[]): string {
  return (tool === 'sluice' ? sluiceOk : dvcOk)(cwd, ...args).stdout;
}

function files(root: string, rel: string): string[] {
  const abs = join(root, rel);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .flatMap((name) =>
      statSync(join(abs, name)).isDirectory() ? files(root, `${rel}/${name}`) : [`${rel}/${name}`],
    )
    .sort();
}

/** A parent project holding a nested git+DVC repository (`sub`, as a submodule checks out) and a
 * nested DVC project inside the parent's git (`data/inner`, `dvc init --subdir`), and a folder to
 * `add` that holds one. */
function parentWithNestedRepos(): string {
  const root = makeRepo('dvc');
  writeTree(root, {
    'sub/in.txt': 'sub input\n',
    'models/a.txt': 'a\n',
    // a project nobody initialised through a tool: a `.dvc` folder is enough
    'models/nested/.dvc/config': '',
    'models/nested/b.txt': 'b\n',
  });
  git(join(root, 'sub'), 'init', '-q', '-b', 'main');
  dvcOk(join(root, 'sub'), 'init', '-q');
  dvcOk(
    join(root, 'sub'),
    'stage',
    'add',
    '-q',
    '-n',
    'inner',
    '-d',
    'in.txt',
    '-o',
    'out.txt',
    'cp in.txt out.txt',
  );
  mkdirSync(join(root, 'data', 'inner'), { recursive: true });
  dvcOk(join(root, 'data', 'inner'), 'init', '-q', '--subdir');
  dvcOk(join(root, 'data', 'inner'), 'stage', 'add', '-q', '-n', 'deep', '-o', 'o', 'echo > o');
  dvcOk(root, 'stage', 'add', '-q', '-n', 'top', '-o', 'top.txt', 'echo top > top.txt');
  return root;
}

describe('a nested DVC repository', () => {
  it('is skipped by status, stage list, repro -P and add, as DVC skips it', () => {
    const results = (['dvc', 'sluice'] as const).map((tool) => {
      const root = parentWithNestedRepos();
      const status = JSON.parse(runOk(tool, root, 'status', '--json')) as unknown;
      const stageList = runOk(tool, root, 'stage', 'list');
      runOk(tool, root, 'repro', '-P');
      runOk(tool, root, 'add', 'models');
      return {
        status,
        stageList,
        statusAfter: JSON.parse(runOk(tool, root, 'status', '--json')) as unknown,
        lock: read(root, 'dvc.lock'),
        dataDvc: read(root, 'models.dvc'),
        subFiles: files(root, 'sub').filter((p) => !p.startsWith('sub/.')),
        cache: files(root, '.dvc/cache/files'),
      };
    });
    expect(results[0].status).toEqual({ top: [{ 'changed outs': { 'top.txt': 'deleted' } }] });
    expect(results[0].subFiles).toEqual(['sub/dvc.yaml', 'sub/in.txt']);
    expect(results[1]).toEqual(results[0]);
  });
});

describe('a nested DVC repository committed in the parent', () => {
  it('keeps its metrics out of the parent metrics show -A, as DVC does', () => {
    const root = makeRepo('dvc');
    writeTree(root, {
      'metrics.json': '{"acc": 0.5}\n',
      'dvc.yaml': 'metrics:\n- metrics.json\n',
      'nested/metrics.json': '{"loss": 2}\n',
      'nested/dvc.yaml': 'metrics:\n- metrics.json\n',
    });
    dvcOk(join(root, 'nested'), 'init', '-q', '--subdir');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'metrics');
    // two commits in scope: Sluice probes the paths the history touched rather than listing trees
    git(root, 'checkout', '-qb', 'other');
    writeTree(root, { 'metrics.json': '{"acc": 0.7}\n', 'nested/metrics.json': '{"loss": 1}\n' });
    git(root, 'commit', '-qam', 'better');
    const expected = JSON.parse(runOk('dvc', root, 'metrics', 'show', '-A', '--json')) as unknown;
    expect(JSON.stringify(expected)).not.toContain('loss');
    expect(JSON.parse(runOk('sluice', root, 'metrics', 'show', '-A', '--json'))).toEqual(expected);
    // one commit named: its tree is listed
    const diff = JSON.parse(runOk('dvc', root, 'metrics', 'diff', 'main', '--json')) as unknown;
    expect(JSON.stringify(diff)).not.toContain('loss');
    expect(JSON.parse(runOk('sluice', root, 'metrics', 'diff', 'main', '--json'))).toEqual(diff);
  });
});
