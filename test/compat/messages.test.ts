import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  git,
  makeRepo,
  type RunResult,
  sluice,
  writeTree,
} from '../helpers/sandbox.js';

/** DVC lists the files of its git hint in set order: compare them sorted. */
function sortedHint(stdout: string): string {
  return stdout.replace(/\tgit add (.*)\n/, (_m, files: string) => {
    return `\tgit add ${files.split(' ').sort().join(' ')}\n`;
  });
}

/**
 * What a script reading the output would notice: which lines go to stdout and which to stderr,
 * in what order, with what words. Each step runs with DVC and with Sluice on identical repos.
 */

afterEach(() => cleanupSandboxes());

type Tool = 'dvc' | 'sluice';

function both(steps: string[][]): Array<{ step: string; dvc: RunResult; sluice: RunResult }> {
  const roots = { dvc: makeRepo('dvc'), sluice: makeRepo('dvc') };
  const out: Array<{ step: string; dvc: RunResult; sluice: RunResult }> = [];
  for (const root of Object.values(roots)) writeTree(root, { 'data.txt': 'd\n' });
  for (const args of steps) {
    const run = (tool: Tool): RunResult => {
      const r = tool === 'dvc' ? dvc(roots.dvc, ...args) : sluice(roots.sluice, ...args);
      // The tools name themselves in hints.
      return tool === 'dvc'
        ? {
            ...r,
            stdout: r.stdout
              .replaceAll('dvc config', 'sluice config')
              .replaceAll('`dvc ', '`sluice '),
          }
        : r;
    };
    out.push({ step: args.join(' '), dvc: run('dvc'), sluice: run('sluice') });
  }
  return out;
}

describe('stdout and stderr, line by line', () => {
  it('add, stage add, repro, repro again, commit', () => {
    const results = both([
      ['add', 'data.txt'],
      ['stage', 'add', '-n', 'a', '-d', 'data.txt', '-o', 'a.out', 'cat data.txt > a.out'],
      ['stage', 'add', '-n', 'b', '-d', 'a.out', '-o', 'b.out', 'cat a.out > b.out'],
      ['repro'],
      ['repro'],
      ['stage', 'add', '-f', '-n', 'b', '-d', 'a.out', '-o', 'b.out', 'cp a.out b.out'],
      ['repro'],
      ['commit', '-f'],
    ]);
    for (const r of results) {
      expect({ step: r.step, stdout: sortedHint(r.sluice.stdout), code: r.sluice.code }).toEqual({
        step: r.step,
        stdout: sortedHint(r.dvc.stdout),
        code: r.dvc.code,
      });
      expect({ step: r.step, stderr: r.sluice.stderr }).toEqual({ step: r.step, stderr: '' });
    }
  });

  it('repro of a frozen stage warns on stderr', () => {
    const results = both([
      ['stage', 'add', '-n', 'a', '-d', 'data.txt', '-o', 'a.out', 'cat data.txt > a.out'],
      ['repro'],
      ['freeze', 'a'],
      ['repro'],
    ]);
    const last = results.at(-1);
    expect(last?.sluice.stdout).toBe(last?.dvc.stdout);
    expect(last?.sluice.stderr).toBe(last?.dvc.stderr);
  });
});

describe('git hint', () => {
  it('goes to stdout, after the stages and before the last line', () => {
    const root = makeRepo('dvc');
    writeTree(root, { 'data.txt': 'd\n' });
    git(root, 'add', '-A');
    const r = sluice(root, 'run', '-n', 's', '-d', 'data.txt', '-o', 'o', 'cat data.txt > o');
    expect(r.stdout).toMatch(
      /Updating lock file 'dvc.lock'\n\nTo track the changes with git, run:\n\n\tgit add dvc.yaml .*\n\nTo enable auto staging, run:\n\n\tsluice config core.autostage true\nUse `sluice push`/,
    );
  });
});

describe('status --json and remove', () => {
  it('status --json is printed with Python separators', () => {
    const results = both([
      ['stage', 'add', '-n', 'a', '-d', 'data.txt', '-o', 'a.out', 'cat data.txt > a.out'],
      ['status', '--json'],
    ]);
    const last = results.at(-1);
    expect(last?.sluice.stdout).toBe(last?.dvc.stdout);
    expect(last?.sluice.stdout).toContain('{"a": [{"changed deps": ');
  });

  it('removing the last stage deletes dvc.yaml and dvc.lock', () => {
    const files = (['dvc', 'sluice'] as const).map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { 'data.txt': 'd\n' });
      const run = tool === 'dvc' ? dvc : sluice;
      run(root, 'stage', 'add', '-n', 'a', '-d', 'data.txt', '-o', 'a.out', 'cat data.txt > a.out');
      run(root, 'repro');
      const r = run(root, 'remove', 'a');
      expect(r.code).toBe(0);
      return readdirSync(root).sort();
    });
    expect(files[1]).toEqual(files[0]);
    expect(files[1]).not.toContain('dvc.yaml');
  });
});
