import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  git,
  makeRepo,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

afterAll(cleanupSandboxes);

const DATA = {
  foo: 'foo',
  'data/a.txt': 'a\n',
  'data/sub/b.bin': '\u0000\u0001\u0002\u00ff',
  'data/empty': '',
};

/** A committed repo with data tracked by `tool` and a remote at `storage`. */
function trackedRepo(tool: 'sluice' | 'dvc', storage: string): string {
  const repo = makeRepo(tool);
  writeTree(
    repo,
    Object.fromEntries(Object.entries(DATA).map(([k, v]) => [k, Buffer.from(v, 'latin1')])),
  );
  const run = tool === 'sluice' ? sluiceOk : dvcOk;
  run(repo, 'add', 'foo', 'data');
  run(repo, 'remote', 'add', '-d', 'storage', storage);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'data');
  return repo;
}

function cloneOf(repo: string): string {
  const dir = tempDir();
  git(dir, 'clone', '-q', repo, 'clone');
  return join(dir, 'clone');
}

function expectData(repo: string): void {
  for (const [path, content] of Object.entries(DATA)) {
    expect(readFileSync(join(repo, path), 'latin1')).toBe(content);
  }
}

describe('a local remote shared with DVC', () => {
  it('dvc pulls what sluice pushed, and agrees on status -c', () => {
    const storage = tempDir('sluice-remote-');
    const repo = trackedRepo('sluice', storage);
    expect(dvcOk(repo, 'status', '-c').stdout).toContain('new:');
    expect(sluiceOk(repo, 'push').stdout).toBe('5 files pushed\n');
    expect(dvcOk(repo, 'status', '-c').stdout).toBe("Cache and remote 'storage' are in sync.\n");
    expect(dvcOk(repo, 'push').stdout).toContain('Everything is up to date.');
    const clone = cloneOf(repo);
    dvcOk(clone, 'pull');
    expectData(clone);
  });

  it('sluice pulls what dvc pushed, and agrees on status -c', () => {
    const storage = tempDir('sluice-remote-');
    const repo = trackedRepo('dvc', storage);
    expect(sluiceOk(repo, 'status', '-c').stdout).toContain('new:');
    dvcOk(repo, 'push');
    expect(sluiceOk(repo, 'status', '-c').stdout).toBe("Cache and remote 'storage' are in sync.\n");
    expect(sluiceOk(repo, 'push').stdout).toBe('Everything is up to date.\n');
    const clone = cloneOf(repo);
    const pulled = sluiceOk(clone, 'pull');
    expect(pulled.stdout).toBe('A       data/\nA       foo\n5 files fetched and 4 files added\n');
    expectData(clone);
    rmSync(join(clone, '.dvc', 'cache'), { recursive: true, force: true });
    expect(sluiceOk(clone, 'status', '-c').stdout).toBe(
      '\tdeleted:            data/a.txt\n\tdeleted:            data/empty\n\tdeleted:            data/sub/b.bin\n\tdeleted:            foo\n',
    );
  });

  it('agrees with dvc that a folder whose listing is on the remote is complete there', () => {
    const storage = tempDir('sluice-remote-');
    const repo = trackedRepo('sluice', storage);
    sluiceOk(repo, 'push');
    // A file of the pushed folder vanishes from the remote; its .dir listing stays.
    const aTxt = createHash('md5').update('a\n').digest('hex');
    rmSync(join(storage, 'files', 'md5', aTxt.slice(0, 2), aTxt.slice(2)));
    const json = (text: string): unknown => JSON.parse(text);
    expect(json(sluiceOk(repo, 'status', '-c', '--json').stdout)).toEqual(
      json(dvcOk(repo, 'status', '-c', '--json').stdout),
    );
    expect(json(sluiceOk(repo, 'status', '-c', '--json').stdout)).toEqual({});
  });
});
