import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/** Acceptance scenarios of dvc-formats.md 12.2, each run by DVC and by Sluice on identical trees. */

afterEach(() => cleanupSandboxes());

type Tool = 'sluice' | 'dvc';
const tools: Tool[] = ['dvc', 'sluice'];

function run(tool: Tool, cwd: string, ...args: string[]): RunResult {
  return tool === 'sluice' ? sluice(cwd, ...args) : dvc(cwd, ...args);
}

function runOk(tool: Tool, cwd: string, ...args: string[]): RunResult {
  return tool === 'sluice' ? sluiceOk(cwd, ...args) : dvcOk(cwd, ...args);
}

function readText(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** Relative paths of every object under .dvc/cache (both the 3.x and the legacy ODB). */
function cacheObjects(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    for (const name of readdirSync(abs)) {
      const p = `${rel}/${name}`;
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else out.push(p.slice('.dvc/cache/'.length));
    }
  };
  walk('.dvc/cache');
  return out.sort();
}

describe('scenario 4: .gitignore escaping and move', () => {
  it('a weird name is escaped the same way', () => {
    const name = 'file!with*weird#naming_[1].t?t';
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { [name]: 'weird' });
      runOk(tool, root, 'add', name);
      return { gitignore: readText(root, '.gitignore'), dvcfile: readText(root, `${name}.dvc`) };
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1]?.gitignore).toBe('/file\\!with\\*weird\\#naming_\\[1\\].t\\?t\n');
  });

  it('names with spaces and leading # or ! in a subfolder', () => {
    const names = ['sub/a b.txt', 'sub/#hash', 'sub/!bang', 'sub/trailing ', 'sub/back\\slash'];
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      for (const n of names) writeTree(root, { [n]: n });
      runOk(tool, root, 'add', ...names);
      return readText(root, 'sub/.gitignore');
    });
    expect(results[1]).toBe(results[0]);
  });

  it('move foo bar leaves .gitignore == "/bar\\n" and renames foo.dvc', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { foo: 'foo' });
      runOk(tool, root, 'add', 'foo');
      runOk(tool, root, 'move', 'foo', 'bar');
      return {
        gitignore: readText(root, '.gitignore'),
        fooDvc: existsSync(join(root, 'foo.dvc')),
        barDvc: readText(root, 'bar.dvc'),
        bar: readText(root, 'bar'),
        foo: existsSync(join(root, 'foo')),
      };
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1]?.gitignore).toBe('/bar\n');
  });

  it('move a folder into a subfolder', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { 'data/a': 'a', 'data/b/c': 'c', 'out/keep': 'k' });
      runOk(tool, root, 'add', 'data');
      runOk(tool, root, 'move', 'data', 'out/data2');
      return {
        rootGitignore: existsSync(join(root, '.gitignore')),
        outGitignore: readText(root, 'out/.gitignore'),
        dvcfile: readText(root, 'out/data2.dvc'),
        oldDvcfile: existsSync(join(root, 'data.dvc')),
      };
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe('scenario 5: status -q', () => {
  it('exit 0 with no output when clean, 1 with no output when modified', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { foo: 'foo' });
      runOk(tool, root, 'add', 'foo');
      const clean = run(tool, root, 'status', '-q');
      writeTree(root, { foo: 'modified' });
      const dirty = run(tool, root, 'status', '-q');
      return [clean, dirty].map((r) => ({ code: r.code, out: r.stdout + r.stderr }));
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1]).toEqual([
      { code: 0, out: '' },
      { code: 1, out: '' },
    ]);
  });
});

describe('scenario 16: checkout stats', () => {
  function setup(tool: Tool): string {
    const root = makeRepo('dvc');
    writeTree(root, {
      foo: 'foo',
      bar: 'bar',
      lorem: 'lorem',
      'dir/file': 'file',
      ipsum: 'ipsum',
      dolor: 'dolor',
    });
    for (const t of ['foo', 'bar', 'lorem', 'dir', 'ipsum', 'dolor']) runOk(tool, root, 'add', t);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'data');
    for (const t of ['foo', 'bar', 'dir', 'lorem']) rmSync(join(root, t), { recursive: true });
    rmSync(join(root, 'ipsum.dvc'));
    writeTree(root, { bar: 'foobar' });
    return root;
  }

  it('checkout --force --summary, then a second checkout prints nothing', () => {
    const results = tools.map((tool) => {
      const root = setup(tool);
      const first = run(tool, root, 'checkout', '--force', '--summary');
      const second = run(tool, root, 'checkout');
      return {
        first: { code: first.code, stdout: first.stdout },
        second: { code: second.code, stdout: second.stdout },
        ipsum: existsSync(join(root, 'ipsum')),
        bar: readText(root, 'bar'),
      };
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[0]?.first.stdout.trim()).toBe(
      '1 file modified, 3 files added and 1 file deleted',
    );
  });

  it('checkout --force lists the same lines', () => {
    const results = tools.map((tool) => {
      const root = setup(tool);
      const r = run(tool, root, 'checkout', '--force');
      return { code: r.code, stdout: r.stdout };
    });
    expect(results[1]).toEqual(results[0]);
  });

  it('checkout --summary with nothing to do says "No changes."', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { foo: 'foo' });
      runOk(tool, root, 'add', 'foo');
      const r = run(tool, root, 'checkout', '--summary');
      return { code: r.code, stdout: r.stdout };
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe('scenario 17: gc -a -T / -a / -T', () => {
  function setup(tool: Tool): string {
    const root = makeRepo('dvc');
    const save = (content: string, message: string): void => {
      writeTree(root, { file: content });
      runOk(tool, root, 'add', 'file');
      git(root, 'add', '-A');
      git(root, 'commit', '-q', '-m', message);
    };
    save('v1.0', 'v1.0');
    git(root, 'tag', 'v1.0');
    git(root, 'checkout', '-q', '-b', 'test');
    save('test', 'test');
    git(root, 'checkout', '-q', 'main');
    save('trash', 'trash');
    save('master', 'master');
    return root;
  }

  it('object counts after each gc match DVC (3, 2, 1)', () => {
    const results = tools.map((tool) => {
      const root = setup(tool);
      const counts: Record<string, string[]> = { before: cacheObjects(root) };
      const noScope = run(tool, root, 'gc', '-f');
      counts.noScope = cacheObjects(root);
      for (const flags of [['-a', '-T'], ['-a'], ['-T']]) {
        runOk(tool, root, 'gc', '-f', ...flags);
        counts[flags.join(' ')] = cacheObjects(root);
      }
      return { counts, noScopeFails: noScope.code !== 0 };
    });
    expect(results[1]).toEqual(results[0]);
    const c = results[0]?.counts ?? {};
    expect([c.before, c['-a -T'], c['-a'], c['-T']].map((x) => x?.length)).toEqual([4, 3, 2, 1]);
  });

  it('gc -w keeps a folder and all its files', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { 'dir/a': 'a', 'dir/b': 'b', foo: 'foo' });
      runOk(tool, root, 'add', 'dir', 'foo');
      writeTree(root, { 'dir/a': 'a2' });
      runOk(tool, root, 'add', 'dir');
      const before = cacheObjects(root);
      runOk(tool, root, 'gc', '-w', '-f');
      return { before, after: cacheObjects(root) };
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe('scenario 21: comments and extra fields preserved', () => {
  const handWritten = [
    '# top comment',
    'desc: top desc',
    'outs:',
    '- path: foo # out comment',
    '  desc: out desc',
    '  type: mytype',
    '  labels:',
    '  - label1',
    '  - label2',
    '  remote: testremote',
    '  meta:',
    '    key1: value1',
    '    key2: value2',
    'meta: some metadata',
    '',
  ].join('\n');

  it('commit -f foo.dvc on a hand-written file without hashes', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { 'foo.dvc': handWritten, foo: 'foo' });
      runOk(tool, root, 'commit', '-f', 'foo.dvc');
      return readText(root, 'foo.dvc');
    });
    expect(results[1]).toBe(results[0]);
    expect(results[0]).toBe(
      handWritten.replace(
        '    key2: value2\n',
        '    key2: value2\n  md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n',
      ),
    );
  });

  it('commit -f after changing foo keeps comments and keys in place', () => {
    const withHash = [
      '# top comment',
      'desc: top desc # desc comment',
      'outs:',
      '# before the out',
      '- md5: acbd18db4cc2f85cedef654fccc4a4d8 # hash comment',
      '  size: 3',
      '  hash: md5',
      '  path: foo # out comment',
      '  desc: out desc',
      '  labels: [a, b]',
      '  meta: {k: v}',
      'meta:',
      '  owner: me',
      '# trailing comment',
      '',
    ].join('\n');
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { 'foo.dvc': withHash, foo: 'foo changed' });
      runOk(tool, root, 'commit', '-f', 'foo.dvc');
      return readText(root, 'foo.dvc');
    });
    expect(results[1]).toBe(results[0]);
  });

  it('add foo re-saves an existing foo.dvc with comments', () => {
    const results = tools.map((tool) => {
      const root = makeRepo('dvc');
      writeTree(root, { 'foo.dvc': handWritten, foo: 'foo' });
      runOk(tool, root, 'add', 'foo');
      return readText(root, 'foo.dvc');
    });
    expect(results[1]).toBe(results[0]);
  });
});
