import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  dvcOk,
  git,
  makeRepo,
  type RunResult,
  sluice,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * `repro` (and `repro --dry`) when data is missing: a dependency nothing produces, an output of
 * a data source or of a frozen stage. Both tools get the same repository, built by DVC.
 */

afterEach(() => cleanupSandboxes());

type Tool = 'dvc' | 'sluice';

/** What a script sees: the exit code, stdout, and the ERROR lines of stderr (DVC's names). */
function seen(tool: Tool, r: RunResult): { code: number; stdout: string; errors: string[] } {
  const rename = (s: string): string => (tool === 'sluice' ? s : s.replaceAll('`dvc ', '`sluice '));
  return {
    code: r.code,
    stdout: rename(r.stdout),
    errors: r.stderr
      .split('\n')
      .filter((l) => l.startsWith('ERROR') || l.startsWith('WARNING'))
      .map(rename),
  };
}

function sideBySide(
  build: () => string,
  args: string[],
): { dvc: ReturnType<typeof seen>; sluice: ReturnType<typeof seen> } {
  const results = (['dvc', 'sluice'] as const).map((tool) => {
    const root = build();
    const r = tool === 'dvc' ? dvc(root, ...args) : sluice(root, ...args);
    return seen(tool, r);
  });
  const [d, s] = results as [ReturnType<typeof seen>, ReturnType<typeof seen>];
  // DVC prints the sandbox's absolute path; each tool ran in its own sandbox.
  const strip = (x: ReturnType<typeof seen>): ReturnType<typeof seen> => ({
    ...x,
    errors: x.errors.map((l) => l.replace(/'\/[^']*\/([^/']+)'$/, "'…/$1'")),
  });
  expect(strip(s)).toEqual(strip(d));
  return { dvc: d, sluice: s };
}

/** a → b → c; b also reads other.txt, which is then deleted. */
function chain(): string {
  const root = makeRepo('dvc');
  writeTree(root, { 'data.txt': 'd\n', 'other.txt': 'o\n' });
  dvcOk(root, 'stage', 'add', '-n', 'a', '-d', 'data.txt', '-o', 'a.out', 'cat data.txt > a.out');
  dvcOk(
    root,
    'stage',
    'add',
    '-n',
    'b',
    '-d',
    'a.out',
    '-d',
    'other.txt',
    '-o',
    'b.out',
    'cat a.out other.txt > b.out',
  );
  dvcOk(root, 'stage', 'add', '-n', 'c', '-d', 'b.out', '-o', 'c.out', 'cat b.out > c.out');
  dvcOk(root, 'repro');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'ran');
  return root;
}

describe('a missing dependency', () => {
  for (const args of [['repro', '--dry'], ['repro']]) {
    it(`${args.join(' ')} stops at it with DVC's error`, () => {
      const r = sideBySide(() => {
        const root = chain();
        rmSync(join(root, 'other.txt'));
        return root;
      }, args);
      expect(r.sluice.code).toBe(255);
      expect(r.sluice.stdout).not.toContain("Stage 'c' didn't change");
    });
  }

  it('repro --dry when an upstream output is missing stops at the stage that reads it', () => {
    sideBySide(() => {
      const root = chain();
      rmSync(join(root, 'b.out'));
      return root;
    }, ['repro', '--dry']);
  });

  it('repro --dry when the last output is missing', () => {
    sideBySide(() => {
      const root = chain();
      rmSync(join(root, 'c.out'));
      return root;
    }, ['repro', '--dry']);
  });
});

describe('a data source whose file is missing', () => {
  function dataSource(): string {
    const root = makeRepo('dvc');
    writeTree(root, { 'data.txt': 'd\n' });
    dvcOk(root, 'add', 'data.txt');
    dvcOk(root, 'stage', 'add', '-n', 'a', '-d', 'data.txt', '-o', 'a.out', 'cat data.txt > a.out');
    dvcOk(root, 'repro');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'ran');
    rmSync(join(root, 'data.txt'));
    return root;
  }

  for (const args of [['repro', '--dry'], ['repro']]) {
    it(`${args.join(' ')} never says it did not change`, () => {
      const r = sideBySide(dataSource, args);
      expect(r.sluice.stdout).not.toContain("didn't change");
    });
  }
});

describe('a frozen stage whose output is missing', () => {
  function frozen(): string {
    const root = chain();
    dvcOk(root, 'freeze', 'a');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'frozen');
    rmSync(join(root, 'a.out'));
    return root;
  }

  for (const args of [['repro', '--dry'], ['repro']]) {
    it(args.join(' '), () => {
      const r = sideBySide(frozen, args);
      expect(r.sluice.stdout).not.toContain("Stage 'a' didn't change");
    });
  }
});
