import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  makeRepo,
  type RunResult,
  sluice,
  sluiceBin,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

/** Error handling of the data-tracking commands, through the real CLI. */

const children: number[] = [];
afterEach(() => cleanupSandboxes());
afterAll(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function errorLines(r: RunResult): string[] {
  return (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('ERROR'));
}

/** Failed with exit `code`, exactly one ERROR line, and no stack trace. */
function expectCleanFailure(r: RunResult, code = 1): string {
  expect({ code: r.code, errors: errorLines(r).length }).toEqual({ code, errors: 1 });
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
  return r.stdout + r.stderr;
}

function dvcFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (p === '.git' || p === '.dvc') continue;
      const st = statSync(join(root, p), { throwIfNoEntry: false });
      if (st?.isDirectory() === true) walk(p);
      else if (name.endsWith('.dvc')) out.push(p);
    }
  };
  walk('');
  return out.sort();
}

const FOO_OBJECT = '.dvc/cache/files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8';

describe('add refuses bad targets', () => {
  it('a git-tracked file: exit 1, one ERROR line naming git rm --cached', () => {
    const root = makeRepo('sluice', { tracked: 'in git' });
    const out = expectCleanFailure(sluice(root, 'add', 'tracked'));
    expect(out).toMatch(/git rm (-r )?--cached/);
    expect(out).toContain('tracked');
    expect(existsSync(join(root, 'tracked.dvc'))).toBe(false);
    expect(existsSync(join(root, '.gitignore'))).toBe(false);
  });

  it('a path outside the repository', () => {
    const root = makeRepo('sluice');
    const outside = join(tempDir(), 'outside.txt');
    writeFileSync(outside, 'o');
    const out = expectCleanFailure(sluice(root, 'add', outside));
    expect(out).toContain(outside);
    expect(dvcFiles(root)).toEqual([]);
    expect(existsSync(join(root, '.dvc/cache'))).toBe(false);
  });

  it('a ../ path escaping the repository', () => {
    const root = makeRepo('sluice', { 'sub/keep': 'k' });
    const r = sluice(join(root, 'sub'), 'add', '../../escaped');
    expectCleanFailure(r);
    const r2 = sluice(root, 'add', 'sub/../../escaped');
    expectCleanFailure(r2);
    expect(dvcFiles(root)).toEqual([]);
  });

  it('a path inside a symlinked folder', () => {
    const root = makeRepo('sluice', { 'real/f': 'r' });
    symlinkSync('real', join(root, 'link'));
    const out = expectCleanFailure(sluice(root, 'add', 'link/f'));
    expect(out).toMatch(/symlink/i);
    expect(dvcFiles(root)).toEqual([]);
  });

  it('a missing file', () => {
    const root = makeRepo('sluice');
    const out = expectCleanFailure(sluice(root, 'add', 'nope'));
    expect(out).toContain("'nope'");
    expect(dvcFiles(root)).toEqual([]);
  });

  it('a missing file among good ones adds nothing', () => {
    const root = makeRepo('sluice');
    writeTree(root, { good: 'g' });
    const r = sluice(root, 'add', 'good', 'nope');
    expect(r.code).toBe(1);
    // (DVC 3.67 writes good.dvc before failing on nope; Sluice checks every target first)
    expect(existsSync(join(root, 'good.dvc'))).toBe(false);
  });

  it('overlapping outputs: adding a folder after folder/x.dvc', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { 'dir/x': 'x', 'dir/y': 'y' });
    sluiceOk(root, 'add', 'dir/x');
    const out = expectCleanFailure(sluice(root, 'add', 'dir'));
    expect(out).toContain('dir/x');
    expect(existsSync(join(root, 'dir.dvc'))).toBe(false);
    expect(dvcFiles(root)).toEqual(['dir/x.dvc']);
  });

  it('outside any repository: exit 253', () => {
    const dir = tempDir();
    writeTree(dir, { foo: 'foo' });
    const r = sluice(dir, 'add', 'foo');
    expectCleanFailure(r, 253);
    expect(dvc(dir, 'add', 'foo').code).toBe(253);
  });
});

describe('a malformed .dvc file', () => {
  const broken =
    'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n   hash: md5\n  path: foo\n';

  it('is reported with its name and line, exit != 0, no stack trace', () => {
    const root = makeRepo('sluice', { foo: 'foo' });
    writeFileSync(join(root, 'foo.dvc'), broken);
    for (const args of [['status'], ['checkout'], ['add', 'foo'], ['commit', '-f']]) {
      const r = sluice(root, ...args);
      const out = expectCleanFailure(r, r.code === 0 ? 1 : r.code);
      expect(r.code).not.toBe(0);
      expect(out).toContain('foo.dvc');
    }
    expect(readFileSync(join(root, 'foo.dvc'), 'utf8')).toBe(broken);
  });

  it('names the line where the YAML breaks (line 3 or 4; dvc says 4)', () => {
    const root = makeRepo('sluice', { foo: 'foo' });
    writeFileSync(join(root, 'foo.dvc'), broken);
    const out = sluice(root, 'status').stderr;
    // DVC (ruamel) names line 4; the parser Sluice uses stops one line earlier, at the mapping
    // that cannot continue. Both name the file and a line next to the mistake.
    expect(out).toMatch(/foo\.dvc:[34]\b/);
  });

  it('an unknown key is a schema error naming the key and line', () => {
    const root = makeRepo('sluice', { foo: 'foo' });
    writeFileSync(
      join(root, 'foo.dvc'),
      'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  bogus: 3\n  path: foo\n',
    );
    const out = expectCleanFailure(sluice(root, 'status'));
    expect(out).toContain('bogus');
    expect(out).toMatch(/foo\.dvc:3/);
  });

  it('a path that is not UTF-8 is refused, naming the file and line, and nothing is placed', () => {
    const root = makeRepo('sluice');
    writeTree(root, { foo: 'foo' });
    sluiceOk(root, 'add', 'foo');
    // The bytes of `path:` do not decode: read leniently they would name a file `f\uFFFD\uFFFDo`.
    const text = readFileSync(join(root, 'foo.dvc'));
    const bad = Buffer.concat([
      text.subarray(0, text.indexOf('path: foo')),
      Buffer.from('path: f'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('o\n'),
    ]);
    writeFileSync(join(root, 'foo.dvc'), bad);
    rmSync(join(root, 'foo'));
    for (const args of [['status'], ['checkout'], ['commit', '-f'], ['push']]) {
      const out = expectCleanFailure(sluice(root, ...args), 1);
      expect(out, args.join(' ')).toMatch(/'foo\.dvc:\d+' is invalid: the file is not valid UTF-8/);
    }
    expect(readdirSync(root).filter((name) => name.startsWith('f'))).toEqual(['foo.dvc']);
    expect(readFileSync(join(root, 'foo.dvc'))).toEqual(bad);
  });

  it('a dvc.yaml or dvc.lock that is not UTF-8 is refused, naming the file', () => {
    const root = makeRepo('sluice', { foo: 'foo' });
    sluiceOk(root, 'stage', 'add', '-n', 'copy', '-d', 'foo', '-o', 'bar', 'cp foo bar');
    sluiceOk(root, 'repro');
    for (const file of ['dvc.lock', 'dvc.yaml']) {
      const good = readFileSync(join(root, file));
      writeFileSync(join(root, file), Buffer.concat([good, Buffer.from('# \xc3\x28\n', 'latin1')]));
      const out = expectCleanFailure(sluice(root, 'status'), 1);
      expect(out).toContain(`'${file}:`);
      expect(out).toContain('is invalid: the file is not valid UTF-8');
      writeFileSync(join(root, file), good);
    }
  });

  it('-v shows the stack trace', () => {
    const root = makeRepo('sluice', { foo: 'foo' });
    writeFileSync(join(root, 'foo.dvc'), broken);
    const r = sluice(root, '-v', 'status');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/^\s+at /m);
  });
});

describe('a corrupt cache object', () => {
  function corrupt(root: string, object: string): void {
    const abs = join(root, object);
    chmodSync(abs, 0o644);
    const data = readFileSync(abs);
    data[0] = (data[0] ?? 0) ^ 0xff;
    writeFileSync(abs, data);
  }

  it('checkout reports it and does not place the corrupt file', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { foo: 'foo' });
    sluiceOk(root, 'add', 'foo');
    corrupt(root, FOO_OBJECT);
    rmSync(join(root, 'foo'));
    const r = sluice(root, 'checkout');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('foo');
    expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(root, 'foo'))).toBe(false);
  });

  it('checkout --force does not overwrite a modified file with corrupt data', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { foo: 'foo' });
    sluiceOk(root, 'add', 'foo');
    corrupt(root, FOO_OBJECT);
    writeTree(root, { foo: 'mine' });
    const r = sluice(root, 'checkout', '--force');
    expect(r.code).not.toBe(0);
    const now = existsSync(join(root, 'foo')) ? readFileSync(join(root, 'foo'), 'utf8') : null;
    expect(now === null || now === 'mine').toBe(true);
  });

  it('a corrupt file inside a folder: checkout fails, the bad file is not placed', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { 'dir/foo': 'foo', 'dir/bar': 'bar' });
    sluiceOk(root, 'add', 'dir');
    corrupt(root, FOO_OBJECT);
    rmSync(join(root, 'dir'), { recursive: true });
    const r = sluice(root, 'checkout');
    expect(r.code).not.toBe(0);
    const foo = join(root, 'dir/foo');
    const placed = existsSync(foo) ? readFileSync(foo, 'utf8') : null;
    expect(placed === null || placed === 'foo').toBe(true);
    expect(readFileSync(join(root, 'dir/bar'), 'utf8')).toBe('bar');
  });

  it('status reports the corrupt object as not in cache', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { foo: 'foo' });
    sluiceOk(root, 'add', 'foo');
    corrupt(root, FOO_OBJECT);
    const r = sluice(root, 'status', '--json');
    expect(JSON.parse(r.stdout)).toEqual({
      'foo.dvc': [{ 'changed outs': { foo: 'not in cache' } }],
    });
  });
});

describe('the repo lock', () => {
  function holdLock(root: string, pid: number): void {
    mkdirSync(join(root, '.dvc/tmp'), { recursive: true });
    writeFileSync(
      join(root, '.dvc/tmp/sluice.lock'),
      JSON.stringify({ pid, cmd: 'x', host: hostname(), since: new Date().toISOString() }),
    );
  }

  it('held by a live process: add --wait 1 fails within ~2 s naming the PID', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { foo: 'foo' });
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = sleeper.pid as number;
    children.push(pid);
    holdLock(root, pid);
    const start = Date.now();
    const r = sluice(root, 'add', '--wait', '1', 'foo');
    const elapsed = Date.now() - start;
    sleeper.kill('SIGKILL');
    const out = expectCleanFailure(r);
    expect(out).toContain(String(pid));
    expect(elapsed).toBeLessThan(3000);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(existsSync(join(root, 'foo.dvc'))).toBe(false);
    // the other holder's lock is left alone
    expect(existsSync(join(root, '.dvc/tmp/sluice.lock'))).toBe(true);
  });

  it('held by a dead process: the lock is taken over', () => {
    const root = makeRepo('sluice', {});
    writeTree(root, { foo: 'foo' });
    const dead = spawnSync('true').pid;
    holdLock(root, dead);
    const r = sluice(root, 'add', '--wait', '1', 'foo');
    expect(r.code).toBe(0);
    expect(existsSync(join(root, 'foo.dvc'))).toBe(true);
    expect(existsSync(join(root, '.dvc/tmp/sluice.lock'))).toBe(false);
  });

  it('status also waits for the lock', () => {
    const root = makeRepo('sluice', {});
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = sleeper.pid as number;
    children.push(pid);
    holdLock(root, pid);
    const r = sluice(root, 'status', '--wait', '1');
    sleeper.kill('SIGKILL');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(String(pid));
  });
});

describe('add killed midway', () => {
  function md5(data: Buffer): string {
    return createHash('md5').update(data).digest('hex');
  }

  /** Object-named files whose bytes don't hash to their name, and the other (temporary) files. */
  function auditCache(root: string): { bad: string[]; other: string[]; objects: number } {
    const base = join(root, '.dvc/cache/files/md5');
    const bad: string[] = [];
    const other: string[] = [];
    let objects = 0;
    if (!existsSync(base)) return { bad, other, objects };
    for (const prefix of readdirSync(base)) {
      const dir = join(base, prefix);
      if (!statSync(dir).isDirectory()) {
        other.push(prefix);
        continue;
      }
      for (const name of readdirSync(dir)) {
        const rel = `${prefix}/${name}`;
        const m = /^([0-9a-f]{30})(\.dir)?$/.exec(name);
        if (prefix.length !== 2 || m === null) {
          other.push(rel);
          continue;
        }
        objects += 1;
        const data = readFileSync(join(dir, name));
        if (md5(data) !== `${prefix}${m[1]}`) bad.push(rel);
      }
    }
    return { bad, other, objects };
  }

  it('SIGKILL during add of 20k files leaves no bad object; re-running add succeeds', async () => {
    const root = makeRepo('sluice', {});
    const big = join(root, 'big');
    for (let d = 0; d < 100; d += 1) {
      mkdirSync(join(big, `d${d}`), { recursive: true });
      for (let f = 0; f < 200; f += 1) {
        writeFileSync(join(big, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`.repeat(1 + (f % 7)));
      }
    }
    const child = spawn(process.execPath, [sluiceBin, 'add', 'big'], {
      cwd: root,
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1', DVC_NO_ANALYTICS: '1' },
    });
    children.push(child.pid as number);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on('exit', (_code, signal) => resolve(signal));
    });
    // kill after 300 ms, but not before the first objects are being written (slow machines)
    const objectsDir = join(root, '.dvc/cache/files/md5');
    const start = Date.now();
    while (Date.now() - start < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const writing = existsSync(objectsDir) && readdirSync(objectsDir).length > 0;
      if (Date.now() - start >= 300 && writing) break;
    }
    child.kill('SIGKILL');
    const signal = await exited;
    expect(signal).toBe('SIGKILL');

    const afterKill = auditCache(root);
    expect(afterKill.bad).toEqual([]);
    // killed midway: some objects written, not all
    expect(afterKill.objects).toBeLessThan(20_001);
    expect(existsSync(join(root, 'big.dvc'))).toBe(false);

    const r = sluice(root, 'add', 'big');
    expect(r.code, r.stderr).toBe(0);
    const final = auditCache(root);
    expect(final.bad).toEqual([]);
    // every file has distinct content: 20 000 file objects and one .dir
    expect(final.objects).toBe(20_001);
    expect(sluiceOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
    expect(dvc(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
  }, 180_000);
});
