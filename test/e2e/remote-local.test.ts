import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  makeRepo,
  read,
  sluice,
  sluiceBin,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

afterAll(cleanupSandboxes);

function listFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else found.push(r);
    }
  };
  walk(root, '');
  return found.sort();
}

function repoWithRemote(): { repo: string; storage: string } {
  const repo = makeRepo('sluice');
  const storage = tempDir('sluice-remote-');
  sluiceOk(repo, 'remote', 'add', '-d', 'myremote', storage);
  return { repo, storage };
}

describe('remote commands', () => {
  it('stores a relative path as DVC does and refuses a duplicate name (scenario 22)', () => {
    const repo = makeRepo('sluice');
    const added = sluiceOk(repo, 'remote', 'add', 'mylocal', '../path/to/dir');
    expect(added.stdout).toBe('');
    expect(read(repo, '.dvc/config')).toContain('url = ../../path/to/dir');
    const again = sluice(repo, 'remote', 'add', 'mylocal', '../path/to/dir');
    expect(again.code).toBe(251);
    expect(again.stderr).toContain("remote 'mylocal' already exists");
    expect(sluice(repo, 'remote', 'add', '-f', 'mylocal', '../other').code).toBe(0);
    expect(read(repo, '.dvc/config')).toContain('url = ../../other');
  });

  it('lists, sets the default, modifies, renames and removes remotes', () => {
    const repo = makeRepo('sluice');
    expect(sluiceOk(repo, 'remote', 'add', '-d', 'One', '/data/one').stdout).toBe(
      "Setting 'one' as a default remote.\n",
    );
    sluiceOk(repo, 'remote', 'add', 'two', '/data/two');
    expect(sluiceOk(repo, 'remote', 'list').stdout).toBe(
      'one\t/data/one\t(default)\ntwo\t/data/two\n',
    );
    expect(sluiceOk(repo, 'remote', 'default').stdout).toBe('one\n');
    sluiceOk(repo, 'remote', 'default', 'two');
    expect(sluiceOk(repo, 'remote', 'default').stdout).toBe('two\n');
    sluiceOk(repo, 'remote', 'modify', 'two', 'jobs', '3');
    expect(read(repo, '.dvc/config')).toContain('jobs = 3');
    sluiceOk(repo, 'remote', 'modify', '-u', 'two', 'jobs');
    expect(read(repo, '.dvc/config')).not.toContain('jobs');
    expect(sluice(repo, 'remote', 'modify', 'nope', 'jobs', '1').code).toBe(251);
    sluiceOk(repo, 'remote', 'rename', 'two', 'three');
    expect(sluiceOk(repo, 'remote', 'default').stdout).toBe('three\n');
    sluiceOk(repo, 'remote', 'remove', 'three');
    const none = sluice(repo, 'remote', 'default');
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('No default remote set\n');
    expect(sluiceOk(repo, 'remote', 'list').stdout).toBe('one\t/data/one\n');
  });

  it('keeps secrets out of every message', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'remote', 'add', '-d', 'web', 'ssh://user:s3cr3t@127.0.0.1:9/x');
    sluiceOk(repo, 'remote', 'modify', '--local', 'web', 'password', 'hunter2');
    const list = sluiceOk(repo, 'remote', 'list');
    expect(list.stdout).toContain('ssh://user:***@127.0.0.1:9/x');
    expect(list.stdout).not.toContain('s3cr3t');
    expect(read(repo, '.dvc/config.local')).toContain('password = hunter2');
    expect(read(repo, '.dvc/config')).not.toContain('hunter2');
    writeTree(repo, { foo: 'foo' });
    sluiceOk(repo, 'add', 'foo');
    const push = sluice(repo, 'push');
    expect(push.code).not.toBe(0);
    expect(push.stdout + push.stderr).not.toContain('s3cr3t');
    expect(push.stdout + push.stderr).not.toContain('hunter2');
  });

  it('masks tokens in user names and query strings, and passwords holding /, in listings', () => {
    const repo = makeRepo('sluice');
    const urls: [string, string, string[]][] = [
      ['token', 'https://ghpTOKENabc123@127.0.0.1:9/org/repo', ['ghpTOKENabc123']],
      [
        'signed',
        'https://127.0.0.1:9/b/k?X-Amz-Signature=SIGabc&token=TOKdef',
        ['SIGabc', 'TOKdef'],
      ],
      ['slashpw', 'ssh://user:pa/SSWD@127.0.0.1:9/path', ['pa/SSWD', 'SSWD']],
      ['httpslash', 'https://u:p/WORD@127.0.0.1:9/x', ['p/WORD', 'WORD']],
    ];
    for (const [name, url] of urls) sluiceOk(repo, 'remote', 'add', '--local', name, url);
    const outputs = [
      sluiceOk(repo, 'remote', 'list').stdout,
      sluiceOk(repo, 'config', '--list').stdout,
      sluiceOk(repo, 'config', '--list', '--show-origin').stdout,
      ...urls.map(([name]) => sluiceOk(repo, 'config', `remote.${name}.url`).stdout),
    ];
    for (const output of outputs) {
      for (const [, , secrets] of urls) {
        for (const secret of secrets) expect(output).not.toContain(secret);
      }
    }
    expect(outputs[0]).toBe(
      [
        'token\thttps://***@127.0.0.1:9/org/repo',
        'signed\thttps://127.0.0.1:9/b/k?X-Amz-Signature=***&token=***',
        'slashpw\tssh://user:***@127.0.0.1:9/path',
        'httpslash\thttps://u:***@127.0.0.1:9/x',
        '',
      ].join('\n'),
    );
    expect(outputs[1]).toContain('remote.slashpw.url=ssh://user:***@127.0.0.1:9/path');
    // A failing transfer's message names the remote by its masked URL too.
    writeTree(repo, { foo: 'foo' });
    sluiceOk(repo, 'add', 'foo');
    for (const [name, , secrets] of urls) {
      const push = sluice(repo, 'push', '-r', name);
      expect(push.code).not.toBe(0);
      for (const secret of secrets) expect(push.stdout + push.stderr).not.toContain(secret);
    }
  });

  it('says no remote is set', () => {
    const repo = makeRepo('sluice');
    writeTree(repo, { foo: 'foo' });
    sluiceOk(repo, 'add', 'foo');
    const push = sluice(repo, 'push');
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('ERROR: No remote provided and no default remote set.');
  });
});

describe('push, fetch, pull with a local remote', () => {
  it('counts objects as DVC does (scenario 14)', () => {
    const { repo, storage } = repoWithRemote();
    writeTree(repo, {
      foo: 'foo',
      'data_dir/data': 'data',
      'data_dir/data_sub/sub_data': 'sub',
      'data_dir/empty': '',
    });
    sluiceOk(repo, 'add', 'foo', 'data_dir');
    expect(sluiceOk(repo, 'push').stdout).toBe('5 files pushed\n');
    expect(listFiles(join(storage, 'files', 'md5'))).toHaveLength(5);
    expect(sluiceOk(repo, 'status', '-c').stdout).toBe(
      "Cache and remote 'myremote' are in sync.\n",
    );
    expect(sluiceOk(repo, 'push').stdout).toBe('Everything is up to date.\n');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    expect(sluiceOk(repo, 'fetch').stdout).toBe('5 files fetched\n');
    expect(sluiceOk(repo, 'pull').stdout).toBe('Everything is up to date.\n');
    sluiceOk(repo, 'gc', '-cw', '-f');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    expect(sluiceOk(repo, 'fetch').stdout).toBe('5 files fetched\n');
  });

  it('after the cache is deleted, a listing fetched back alone does not make its files look cached', () => {
    const { repo } = repoWithRemote();
    writeTree(repo, { 'data/a': 'a', 'data/b': 'b' });
    sluiceOk(repo, 'add', 'data');
    sluiceOk(repo, 'push');
    expect(sluiceOk(repo, 'status').stdout).toBe('Data and pipelines are up to date.\n');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    // status -c fetches the `.dir` object (only) to name the files it lists.
    expect(sluiceOk(repo, 'status', '-c').stdout).toBe(
      '\tdeleted:            data/a\n\tdeleted:            data/b\n',
    );
    expect(sluiceOk(repo, 'status').stdout).toContain('not in cache:');
    sluiceOk(repo, 'fetch');
    expect(sluiceOk(repo, 'status').stdout).toBe('Data and pipelines are up to date.\n');
  });

  it('prints the checkout lines then the summary (scenario 15)', () => {
    const { repo } = repoWithRemote();
    writeTree(repo, {
      foo: 'foo',
      bar: 'bar',
      lorem: 'lorem',
      'dir/file': 'file',
      ipsum: 'ipsum',
      dolor: 'dolor',
    });
    sluiceOk(repo, 'add', 'foo', 'bar', 'lorem', 'dir', 'ipsum', 'dolor');
    sluiceOk(repo, 'push');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    for (const p of ['foo', 'bar', 'dir', 'lorem'])
      rmSync(join(repo, p), { recursive: true, force: true });
    rmSync(join(repo, 'ipsum.dvc'));
    writeFileSync(join(repo, 'bar'), 'foobar');
    const pulled = sluiceOk(repo, 'pull', '--force');
    expect(pulled.stdout).toBe(
      'M       bar\nA       dir/\nA       foo\nA       lorem\nD       ipsum\n' +
        '6 files fetched, 1 file modified, 3 files added and 1 file deleted\n',
    );
    expect(read(repo, 'bar')).toBe('bar');
    expect(sluiceOk(repo, 'pull').stdout).toBe('Everything is up to date.\n');
  });

  it('shows the cloud status of new, deleted and missing objects', () => {
    const { repo, storage } = repoWithRemote();
    writeTree(repo, { foo: 'foo', 'dir/a': 'a' });
    sluiceOk(repo, 'add', 'foo', 'dir');
    expect(sluiceOk(repo, 'status', '-c').stdout).toBe(
      '\tnew:                dir\n\tnew:                dir/a\n\tnew:                foo\n',
    );
    sluiceOk(repo, 'push', 'foo.dvc');
    expect(listFiles(storage)).toEqual(['files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8']);
    sluiceOk(repo, 'push');
    rmSync(join(repo, '.dvc', 'cache', 'files', 'md5', 'ac'), { recursive: true, force: true });
    expect(sluiceOk(repo, 'status', '-r', 'myremote').stdout).toBe('\tdeleted:            foo\n');
    rmSync(join(storage, 'files', 'md5', 'ac'), { recursive: true, force: true });
    // Python's separators, as DVC prints it.
    expect(sluiceOk(repo, 'status', '-c', '--json').stdout).toBe('{"foo": "missing"}\n');
  });

  it('names missing objects, transfers the rest and exits 1', () => {
    const { repo, storage } = repoWithRemote();
    writeTree(repo, { foo: 'foo', bar: 'bar' });
    sluiceOk(repo, 'add', 'foo', 'bar');
    sluiceOk(repo, 'push');
    rmSync(join(storage, 'files', 'md5', 'ac'), { recursive: true, force: true });
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    const fetched = sluice(repo, 'fetch');
    expect(fetched.code).toBe(1);
    expect(fetched.stdout).toBe('1 file fetched\n');
    expect(fetched.stderr).toContain('name: foo, md5: acbd18db4cc2f85cedef654fccc4a4d8');
    expect(fetched.stderr).toContain('1 file failed to download');
    // push with an object missing from the cache: the others still go
    rmSync(join(storage, 'files'), { recursive: true, force: true });
    const pushed = sluice(repo, 'push');
    expect(pushed.code).toBe(1);
    expect(pushed.stdout).toBe('1 file pushed\n');
    expect(pushed.stderr).toContain('name: foo');
  });

  it('detects a corrupt object on the remote by its hash and places nothing', () => {
    const { repo, storage } = repoWithRemote();
    writeTree(repo, { foo: 'foo', bar: 'bar' });
    sluiceOk(repo, 'add', 'foo', 'bar');
    sluiceOk(repo, 'push');
    const object = join(storage, 'files', 'md5', 'ac', 'bd18db4cc2f85cedef654fccc4a4d8');
    chmodSync(object, 0o644);
    writeFileSync(object, 'evil');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'foo'));
    const pulled = sluice(repo, 'pull');
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toContain('files/md5/ac/bd18db4cc2f85cedef654fccc4a4d8');
    expect(pulled.stderr).toContain('corrupted');
    expect(
      existsSync(
        join(repo, '.dvc', 'cache', 'files', 'md5', 'ac', 'bd18db4cc2f85cedef654fccc4a4d8'),
      ),
    ).toBe(false);
    expect(existsSync(join(repo, 'foo'))).toBe(false);
    expect(read(repo, 'bar')).toBe('bar');
  });

  it('completes a push killed with SIGKILL when run again', async () => {
    const { repo, storage } = repoWithRemote();
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i += 1) files[`data/f${i}`] = `content ${i}\n`.repeat(200);
    files['big'] = 'x'.repeat(8 * 1024 * 1024);
    writeTree(repo, files);
    sluiceOk(repo, 'add', 'data', 'big');
    const child = spawn(process.execPath, [sluiceBin, 'push', '-j', '2'], {
      cwd: repo,
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 450));
    child.kill('SIGKILL');
    await exited;
    // whatever made it is complete: every object on the remote has the content of its name
    const { md5FileSync } = await import('../../src/core/3-objects/hashFile.js');
    const check = (): void => {
      for (const key of listFiles(join(storage, 'files', 'md5'))) {
        // An upload cut short leaves only its hidden temporary file, never a final name.
        if (/(^|\/)\.[^/]*\.tmp$/.test(key)) continue;
        const oid = key.replace('/', '');
        if (oid.endsWith('.dir')) continue;
        expect(md5FileSync(join(storage, 'files', 'md5', key))).toBe(oid);
      }
    };
    check();
    rmSync(join(repo, '.dvc', 'tmp', 'sluice.lock'), { force: true });
    const again = sluiceOk(repo, 'push');
    expect(again.stdout).toMatch(/files? pushed|Everything is up to date/);
    check();
    const isTemp = (key: string): boolean => /(^|\/)\.[^/]*\.tmp$/.test(key);
    expect(listFiles(join(storage, 'files', 'md5')).filter((k) => !isTemp(k))).toHaveLength(402);
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'data'), { recursive: true, force: true });
    expect(sluiceOk(repo, 'pull').stdout).toContain('402 files fetched');
    expect(readFileSync(join(repo, 'data', 'f7'), 'utf8')).toBe('content 7\n'.repeat(200));
  });

  it('syncs the run cache with --run-cache', () => {
    const { repo, storage } = repoWithRemote();
    writeTree(repo, { foo: 'foo' });
    sluiceOk(repo, 'add', 'foo');
    sluiceOk(repo, 'stage', 'add', '-n', 'copy', '-d', 'foo', '-o', 'bar', 'cp foo bar');
    sluiceOk(repo, 'repro');
    expect(sluiceOk(repo, 'push', '--run-cache', 'dvc.yaml').stdout).toBe('2 files pushed\n');
    expect(listFiles(join(storage, 'runs'))).toHaveLength(1);
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    expect(sluiceOk(repo, 'fetch', '--run-cache', 'dvc.yaml').stdout).toBe('2 files fetched\n');
    expect(listFiles(join(repo, '.dvc', 'cache', 'runs'))).toHaveLength(1);
  });

  it('pushes and fetches the data of other revisions with -a/-T', () => {
    const { repo, storage } = repoWithRemote();
    writeTree(repo, { file: 'v1' });
    sluiceOk(repo, 'add', 'file');
    sluice(repo, 'config', 'core.autostage', 'false');
    const { git } = { git: (...a: string[]) => sluiceGit(repo, a) };
    git('add', '-A');
    git('commit', '-qm', 'v1');
    git('tag', 'v1');
    writeFileSync(join(repo, 'file'), 'v2');
    sluiceOk(repo, 'add', 'file');
    expect(sluiceOk(repo, 'push').stdout).toBe('1 file pushed\n');
    expect(sluiceOk(repo, 'push', '-T').stdout).toBe('1 file pushed\n');
    expect(listFiles(storage)).toHaveLength(2);
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    expect(sluiceOk(repo, 'fetch', '-T').stdout).toBe('2 files fetched\n');
  });
});

function sluiceGit(cwd: string, args: string[]): void {
  const r = spawnSync('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@l',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@l',
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${String(r.stderr)}`);
}
