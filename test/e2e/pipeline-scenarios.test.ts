import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  cleanupSandboxes,
  makeRepo,
  read,
  sluice,
  sluiceBin,
  sluiceOk,
  sluiceWithEnv,
  writeTree,
} from '../helpers/sandbox.js';

afterEach(cleanupSandboxes);

/** Writes files into the repo without committing them (so they can be tracked by sluice). */
function withFiles(dir: string, files: Record<string, string>): string {
  writeTree(dir, files);
  return dir;
}

function statusJson(dir: string): unknown {
  return JSON.parse(sluiceOk(dir, 'status', '--json').stdout) as unknown;
}

/** foo is tracked; stage copy-foo-bar copies it to bar (DVC's run_copy fixture). */
function copyRepo(): string {
  const dir = withFiles(makeRepo('sluice'), { foo: 'foo' });
  sluiceOk(dir, 'add', 'foo');
  sluiceOk(dir, 'stage', 'add', '-n', 'copy-foo-bar', '-d', 'foo', '-o', 'bar', 'cp foo bar');
  sluiceOk(dir, 'repro');
  return dir;
}

describe('pipeline scenarios (dvc-formats 12.2)', () => {
  it('6: status of a changed command, a deleted output and a deleted dependency', () => {
    const dir = copyRepo();
    writeFileSync(
      join(dir, 'dvc.yaml'),
      read(dir, 'dvc.yaml').replace('cp foo bar', 'cp  foo  bar'),
    );
    expect(statusJson(dir)).toEqual({ 'copy-foo-bar': ['changed command'] });
    rmSync(join(dir, 'bar'));
    expect(statusJson(dir)).toEqual({
      'copy-foo-bar': [{ 'changed outs': { bar: 'deleted' } }, 'changed command'],
    });
    rmSync(join(dir, 'foo'));
    expect(statusJson(dir)).toEqual({
      'foo.dvc': [{ 'changed outs': { foo: 'deleted' } }],
      'copy-foo-bar': [
        { 'changed deps': { foo: 'deleted' } },
        { 'changed outs': { bar: 'deleted' } },
        'changed command',
      ],
    });
    const text = sluice(dir, 'status').stdout;
    expect(text).toContain('copy-foo-bar:\n\tchanged deps:\n\t\tdeleted:            foo\n');
  });

  it('7: a whole params file as a dependency', () => {
    const dir = makeRepo('sluice');
    sluiceOk(dir, 'stage', 'add', '-n', 'test', '-p', 'params.yaml:', 'echo params.yaml');
    expect(statusJson(dir)).toEqual({ test: [{ 'changed deps': { 'params.yaml': 'deleted' } }] });
    writeFileSync(join(dir, 'params.yaml'), '');
    expect(statusJson(dir)).toEqual({ test: [{ 'changed deps': { 'params.yaml': 'new' } }] });
    sluiceOk(dir, 'commit', '-f');
    expect(parse(read(dir, 'dvc.lock'))).toEqual({
      schema: '2.0',
      stages: { test: { cmd: 'echo params.yaml', params: { 'params.yaml': {} } } },
    });
    expect(statusJson(dir)).toEqual({});
    writeFileSync(join(dir, 'params.yaml'), 'foo: 1\nbar: 2\n');
    expect(statusJson(dir)).toEqual({
      test: [{ 'changed deps': { 'params.yaml': { bar: 'new', foo: 'new' } } }],
    });
    sluiceOk(dir, 'commit', '-f');
    writeFileSync(join(dir, 'params.yaml'), 'foo: foobar\nlorem: ipsum\n');
    expect(statusJson(dir)).toEqual({
      test: [
        { 'changed deps': { 'params.yaml': { bar: 'deleted', foo: 'modified', lorem: 'new' } } },
      ],
    });
  });

  it('8: lock keys are ordered and reordering deps changes nothing', () => {
    const dir = withFiles(makeRepo('sluice'), {
      a: 'a',
      b: 'b',
      'params.yaml': 'lr: 0.001\nnested:\n  x: 1\n',
    });
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      's',
      '-d',
      'b',
      '-d',
      'a',
      '-p',
      'nested.x,lr',
      '-o',
      'z',
      '-o',
      'y',
      'cat a b > y && cp y z',
    );
    sluiceOk(dir, 'repro');
    const lock = parse(read(dir, 'dvc.lock')) as { stages: { s: Record<string, unknown> } };
    expect(Object.keys(lock.stages.s)).toEqual(['cmd', 'deps', 'params', 'outs']);
    const deps = lock.stages.s.deps as Array<Record<string, unknown>>;
    expect(deps.map((d) => d.path)).toEqual(['a', 'b']);
    expect(Object.keys(deps[0] ?? {})).toEqual(['path', 'hash', 'md5', 'size']);
    expect(
      Object.keys((lock.stages.s.params as Record<string, object>)['params.yaml'] ?? {}),
    ).toEqual(['lr', 'nested.x']);
    const before = read(dir, 'dvc.lock');
    writeFileSync(
      join(dir, 'dvc.yaml'),
      read(dir, 'dvc.yaml').replace('- a\n    - b', '- b\n    - a'),
    );
    const out = sluiceOk(dir, 'repro').stdout;
    expect(out).toContain("Stage 's' didn't change, skipping");
    expect(read(dir, 'dvc.lock')).toBe(before);
  });

  it('9: a changed command reruns the stage exactly once', () => {
    const dir = copyRepo();
    writeFileSync(
      join(dir, 'dvc.yaml'),
      read(dir, 'dvc.yaml').replace('cp foo bar', 'cp foo  bar'),
    );
    const first = sluiceOk(dir, 'repro').stdout;
    expect(first.match(/Running stage 'copy-foo-bar'/g)).toHaveLength(1);
    expect(sluiceOk(dir, 'repro').stdout).toContain('Data and pipelines are up to date.');
  });

  it('10: a frozen stage cuts off its upstream', () => {
    const dir = withFiles(makeRepo('sluice'), { data: 'data' });
    sluiceOk(dir, 'add', 'data');
    sluiceOk(dir, 'stage', 'add', '-n', 'stage0', '-d', 'data', '-o', 'out0', 'cp data out0');
    sluiceOk(dir, 'stage', 'add', '-n', 'stage1', '-d', 'out0', '-o', 'out1', 'cp out0 out1');
    sluiceOk(dir, 'stage', 'add', '-n', 'stage2', '-d', 'out1', '-o', 'out2', 'cp out1 out2');
    sluiceOk(dir, 'repro');
    sluiceOk(dir, 'freeze', 'stage1');
    writeFileSync(join(dir, 'data'), 'changed');
    // Like DVC 3: with stage2 as the target, the frozen stage1 cuts off everything upstream.
    expect(sluiceOk(dir, 'repro', 'stage2').stdout).not.toContain('Running stage');
    expect(read(dir, 'out0')).toBe('data');
    const out = sluiceOk(dir, 'repro').stdout;
    expect(out).toContain("Running stage 'stage0'");
    expect(out).not.toContain("Running stage 'stage1'");
    expect(out).not.toContain("Running stage 'stage2'");
    expect(read(dir, 'out0')).toBe('changed');
    expect(read(dir, 'out2')).toBe('data');
  });

  it('11: repro commits a changed data source', () => {
    const dir = withFiles(makeRepo('sluice'), { foo: 'foo' });
    sluiceOk(dir, 'add', 'foo');
    sluiceOk(dir, 'stage', 'add', '-n', 'run1', '-d', 'foo', '-o', 'file1', 'cp foo file1');
    sluiceOk(dir, 'repro');
    writeFileSync(join(dir, 'foo'), 'new content');
    sluiceOk(dir, 'repro', 'run1');
    expect(read(dir, 'file1')).toBe('new content');
    expect(read(dir, 'foo.dvc')).toContain('md5: 96c15c2bb2921193bf290df8cd85e2ba');
    expect(statusJson(dir)).toEqual({});
  });

  it('12: a deleted lock makes repro run again and rewrite it', () => {
    const dir = copyRepo();
    expect(sluiceOk(dir, 'repro').stdout).toContain('Data and pipelines are up to date.');
    const lock = read(dir, 'dvc.lock');
    rmSync(join(dir, 'dvc.lock'));
    sluiceOk(dir, 'repro', '--no-run-cache');
    expect(read(dir, 'dvc.lock')).toBe(lock);
  });

  it('13: the run cache restores outputs without running the command', () => {
    const dir = withFiles(makeRepo('sluice'), {
      foo: 'foo',
      'count.sh': 'echo x >> runs.log; cp foo bar\n',
    });
    sluiceOk(dir, 'add', 'foo');
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      'copy-foo-bar',
      '-d',
      'foo',
      '-d',
      'count.sh',
      '-o',
      'bar',
      'sh count.sh',
    );
    sluiceOk(dir, 'repro');
    rmSync(join(dir, 'bar'));
    rmSync(join(dir, 'dvc.lock'));
    const out = sluiceOk(dir, 'repro').stdout;
    expect(out).toContain("Stage 'copy-foo-bar' is cached - skipping run, checking out outputs");
    expect(read(dir, 'bar')).toBe('foo');
    expect(read(dir, 'runs.log')).toBe('x\n');
    expect(existsSync(join(dir, 'dvc.lock'))).toBe(true);
  });
});

describe('repro with a remote and interactively', () => {
  it('--pull restores outputs from the remote run cache instead of running', () => {
    const dir = withFiles(makeRepo('sluice'), {
      foo: 'foo',
      'count.sh': 'echo x >> runs.log; cp foo bar\n',
    });
    const storage = join(dir, '..', `${basename(dir)}-storage`);
    sluiceOk(dir, 'remote', 'add', '-d', 'store', storage);
    sluiceOk(dir, 'add', 'foo');
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      'copy',
      '-d',
      'foo',
      '-d',
      'count.sh',
      '-o',
      'bar',
      'sh count.sh',
    );
    sluiceOk(dir, 'repro');
    sluiceOk(dir, 'push', '--run-cache');
    rmSync(join(dir, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(dir, 'bar'));
    rmSync(join(dir, 'dvc.lock'));
    const out = sluiceOk(dir, 'repro', '--pull').stdout;
    expect(out).toContain("Stage 'copy' is cached - skipping run, checking out outputs");
    expect(read(dir, 'bar')).toBe('foo');
    expect(read(dir, 'runs.log')).toBe('x\n');
    rmSync(storage, { recursive: true, force: true });
  });

  it('-i asks before each stage and skips the ones refused', () => {
    const dir = withFiles(makeRepo('sluice'), { foo: 'foo' });
    sluiceOk(dir, 'stage', 'add', '-n', 'copy', '-d', 'foo', '-o', 'bar', 'cp foo bar');
    const refused = spawnSync(process.execPath, [sluiceBin, 'repro', '-i'], {
      cwd: dir,
      input: 'n\n',
      encoding: 'utf8',
    });
    expect(refused.status).toBe(0);
    expect(refused.stderr).toContain("Going to reproduce stage: 'copy'");
    expect(existsSync(join(dir, 'bar'))).toBe(false);
    const accepted = spawnSync(process.execPath, [sluiceBin, 'repro', '-i'], {
      cwd: dir,
      input: 'y\n',
      encoding: 'utf8',
    });
    expect(accepted.status).toBe(0);
    expect(read(dir, 'bar')).toBe('foo');
  });
});

describe('pipeline errors', () => {
  it('names the stages of a cycle', () => {
    const dir = makeRepo('sluice');
    writeTree(dir, {
      'dvc.yaml':
        'stages:\n  a:\n    cmd: cp y x\n    deps: [y]\n    outs: [x]\n  b:\n    cmd: cp x y\n    deps: [x]\n    outs: [y]\n',
    });
    const result = sluice(dir, 'repro');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /ERROR: pipeline has a cycle: 'a' -> 'b' -> 'a'|'b' -> 'a' -> 'b'/,
    );
    expect(result.stderr).not.toContain('    at ');
  });

  it("a stage command's own sluice runs share repro's lock; other processes wait for it", async () => {
    const dir = makeRepo('sluice');
    writeTree(dir, { 'raw.txt': 'raw\n' });
    sluiceOk(dir, 'add', 'raw.txt');
    // The command adds a file with sluice itself (it would wait 5 s and fail without the lock),
    // then stays a moment so that a process started meanwhile has to wait for repro.
    const inner = `node ${JSON.stringify(sluiceBin)} add extra.txt`;
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      'inner',
      '-d',
      'raw.txt',
      '-o',
      'out.txt',
      `echo extra > extra.txt && ${inner} && sleep 1 && cp raw.txt out.txt`,
    );
    const repro = spawn(process.execPath, [sluiceBin, 'repro'], { cwd: dir });
    const reproDone = new Promise<number | null>((resolve) => repro.on('close', resolve));
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(dir, 'extra.txt.dvc')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(existsSync(join(dir, 'extra.txt.dvc'))).toBe(true);
    // repro still runs the command: another process may not take the lock yet
    const waiting = sluice(dir, '--wait', '0', 'commit', '-f');
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toContain('the repository is locked by process');
    expect(await reproDone).toBe(0);
    expect(read(dir, 'out.txt')).toBe('raw\n');
    expect(sluiceOk(dir, 'status').stdout).toBe('Data and pipelines are up to date.\n');
  });

  it('a sluice repro inside a stage command lends the same lock on to its own stages', () => {
    const dir = makeRepo('sluice');
    writeTree(dir, { 'raw.txt': 'raw\n' });
    const bin = JSON.stringify(sluiceBin);
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      'inner',
      '-d',
      'raw.txt',
      '-o',
      'mid.txt',
      `node ${bin} add -q raw.txt && cp raw.txt mid.txt`,
    );
    sluiceOk(
      dir,
      'stage',
      'add',
      '-n',
      'outer',
      '-d',
      'mid.txt',
      '-o',
      'out.txt',
      `node ${bin} repro -q -f inner && cp mid.txt out.txt`,
    );
    // outer's command runs repro, whose stage runs add: two levels down, under one lock
    const result = sluice(dir, 'repro', 'outer');
    expect(result.stderr).not.toContain('ERROR');
    expect(result.code).toBe(0);
    expect(read(dir, 'out.txt')).toBe('raw\n');
    expect(existsSync(join(dir, 'raw.txt.dvc'))).toBe(true);
  });

  it('refuses two stages producing one output, and nested outputs', () => {
    const dir = makeRepo('sluice');
    sluiceOk(dir, 'stage', 'add', '-n', 'a', '-o', 'out', 'echo a > out');
    const twice = sluice(dir, 'stage', 'add', '-n', 'b', '-o', 'out', 'echo b > out');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("output 'out' is already specified in stage: 'a'");
    const nested = sluice(dir, 'stage', 'add', '-n', 'c', '-o', 'out/inner', 'echo c');
    expect(nested.code).toBe(1);
    expect(nested.stderr).toContain('overlapping');
  });

  it('refuses a matrix of millions of stages at once, naming the file, stage, count and cap', () => {
    const axes = Array.from(
      { length: 8 },
      (_, axis) => `      a${axis}: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]`,
    );
    const yaml = ['stages:', '  ok:', '    cmd: echo ok', '  grid:', '    matrix:', ...axes];
    const dir = withFiles(makeRepo('sluice'), {
      'dvc.yaml': [...yaml, '    cmd: echo ${item.a0}', ''].join('\n'),
    });
    // A small heap: before the cap, expanding 10^8 stages ran out of memory (or took gigabytes).
    const env = { NODE_OPTIONS: '--max-old-space-size=256' };
    for (const command of ['status', 'repro']) {
      const started = Date.now();
      const result = sluiceWithEnv(dir, env, command);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        "'dvc.yaml:4:3' is invalid: stage 'grid' expands to 100,000,000",
      );
      expect(result.stderr).toContain('SLUICE_MAX_STAGES');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    // The cap counts the whole file, and the variable raises it.
    const small = withFiles(makeRepo('sluice'), {
      'dvc.yaml': [...yaml.slice(0, 5), ...axes.slice(0, 2), '    cmd: echo ${item.a0}', ''].join(
        '\n',
      ),
    });
    const over = sluiceWithEnv(small, { SLUICE_MAX_STAGES: '100' }, 'status');
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(
      /expands to 100 stages with 'matrix', 101 in the file, more than the 100/,
    );
    const raised = sluiceWithEnv(small, { SLUICE_MAX_STAGES: '101' }, 'status', '--json');
    expect(raised.code).toBe(0);
    expect(Object.keys(JSON.parse(raised.stdout) as object)).toHaveLength(101);
    const bad = sluiceWithEnv(small, { SLUICE_MAX_STAGES: 'lots' }, 'status');
    expect(bad.code).toBe(251);
    expect(bad.stderr).toContain("SLUICE_MAX_STAGES must be a positive whole number, got 'lots'");
  });

  it('reports an unknown key in dvc.yaml with file, line and column', () => {
    const dir = makeRepo('sluice');
    writeTree(dir, { 'dvc.yaml': 'stages:\n  a:\n    cmd: echo a\n    outz: [x]\n' });
    const result = sluice(dir, 'status');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/dvc\.yaml:\d+:\d+/);
    expect(result.stderr).toContain('extra keys not allowed');
  });

  it('refuses a taken stage name, an existing -f file, and a missing command', () => {
    const dir = withFiles(makeRepo('sluice'), { foo: 'foo' });
    sluiceOk(dir, 'stage', 'add', '-n', 'a', 'echo a');
    const taken = sluice(dir, 'stage', 'add', '-n', 'a', 'echo b');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("Stage 'a' already exists");
    expect(sluice(dir, 'stage', 'add', '-n', 'a', '-f', 'echo b').code).toBe(0);
    sluiceOk(dir, 'run', '-d', 'foo', '-o', 'bar', '-f', 'copy.dvc', 'cp foo bar');
    const exists = sluice(dir, 'run', '-d', 'foo', '-o', 'bar', '-f', 'copy.dvc', 'cp foo bar');
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain("'copy.dvc' already exists");
    const missing = sluice(dir, 'stage', 'add', '-n', 'b', '-o', 'x');
    expect(missing.code).not.toBe(0);
  });

  it('stops at a failing command, names it, and keeps earlier results', () => {
    const dir = withFiles(makeRepo('sluice'), { foo: 'foo' });
    sluiceOk(dir, 'stage', 'add', '-n', 'first', '-d', 'foo', '-o', 'one', 'cp foo one');
    sluiceOk(dir, 'stage', 'add', '-n', 'second', '-d', 'one', '-o', 'two', 'exit 3');
    const result = sluice(dir, 'repro');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "failed to reproduce 'second': failed to run: exit 3, exited with 3",
    );
    const lock = parse(read(dir, 'dvc.lock')) as { stages: Record<string, unknown> };
    expect(Object.keys(lock.stages)).toEqual(['first']);
  });
});

describe('the classic tutorial with single-stage files', () => {
  it('reruns training and evaluation after a code change, not featurization', () => {
    const dir = withFiles(makeRepo('sluice'), {
      'data.csv': '1,2\n3,4\n',
      'featurize.sh': 'sort data.csv > features.txt\n',
      'train.sh': 'wc -l < features.txt > model.txt\n',
      'eval.sh': 'printf \'{"accuracy": 0.9}\' > eval.json\ncat model.txt > /dev/null\n',
    });
    sluiceOk(dir, 'add', 'data.csv');
    sluiceOk(
      dir,
      'run',
      '-d',
      'data.csv',
      '-d',
      'featurize.sh',
      '-o',
      'features.txt',
      '-f',
      'featurization.dvc',
      'sh featurize.sh',
    );
    sluiceOk(
      dir,
      'run',
      '-d',
      'features.txt',
      '-d',
      'train.sh',
      '-o',
      'model.txt',
      '-f',
      'training.dvc',
      'sh train.sh',
    );
    sluiceOk(
      dir,
      'run',
      '-d',
      'model.txt',
      '-d',
      'eval.sh',
      '-M',
      'eval.json',
      '-f',
      'Dvcfile',
      'sh eval.sh',
    );
    const dvcfile = parse(read(dir, 'Dvcfile')) as Record<string, unknown>;
    expect(Object.keys(dvcfile)).toEqual(['md5', 'cmd', 'deps', 'outs']);
    expect(sluiceOk(dir, 'repro').stdout).toContain('Data and pipelines are up to date.');
    writeFileSync(join(dir, 'train.sh'), 'wc -c < features.txt > model.txt\n');
    const out = sluiceOk(dir, 'repro').stdout;
    expect(out).toContain("Stage 'featurization.dvc' didn't change, skipping");
    expect(out).toContain("Running stage 'training.dvc'");
    expect(out).toContain("Running stage 'Dvcfile'");
    expect(statusJson(dir)).toEqual({});
  });

  it('runs independent stages in parallel with -j, output prefixed', () => {
    const dir = makeRepo('sluice');
    const stage = (name: string, out: string): string =>
      `date +%s%N > ${name}.start; sleep 1; echo ${name} > ${out}; date +%s%N > ${name}.end; echo hello-${name}`;
    sluiceOk(dir, 'stage', 'add', '-n', 'left', '-o', 'l', stage('left', 'l'));
    sluiceOk(dir, 'stage', 'add', '-n', 'right', '-o', 'r', stage('right', 'r'));
    const out = sluiceOk(dir, 'repro', '-j', '2').stdout;
    expect(out).toContain('[left] hello-left');
    expect(out).toContain('[right] hello-right');
    expect(read(dir, 'l')).toBe('left\n');
    expect(read(dir, 'r')).toBe('right\n');
    // The two commands ran at the same time: each started before the other ended.
    const time = (file: string): bigint => BigInt(read(dir, file).trim());
    expect(time('left.start') < time('right.end')).toBe(true);
    expect(time('right.start') < time('left.end')).toBe(true);
    expect(readFileSync(join(dir, 'dvc.lock'), 'utf8')).toContain('left:');
  });
});
