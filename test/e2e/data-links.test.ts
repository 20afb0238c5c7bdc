import { lstatSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, makeRepo, read, sluiceOk, writeTree } from '../helpers/sandbox.js';

afterEach(cleanupSandboxes);

const FOO_OBJECT = join('.dvc', 'cache', 'files', 'md5', 'ac', 'bd18db4cc2f85cedef654fccc4a4d8');

function repoWithLinkType(type: string): string {
  const dir = makeRepo('sluice');
  sluiceOk(dir, 'config', 'cache.type', type);
  writeTree(dir, { foo: 'foo', 'data/a': 'a', 'data/sub/b': 'b' });
  sluiceOk(dir, 'add', 'foo', 'data');
  return dir;
}

describe('cache link types', () => {
  it('the default (reflink,copy) leaves an independent copy where reflinks are unsupported', () => {
    const dir = makeRepo('sluice');
    writeTree(dir, { foo: 'foo' });
    sluiceOk(dir, 'add', 'foo');
    const ws = statSync(join(dir, 'foo'));
    const object = statSync(join(dir, FOO_OBJECT));
    expect(ws.ino).not.toBe(object.ino);
    expect(object.mode & 0o777).toBe(0o444);
    rmSync(join(dir, 'foo'));
    sluiceOk(dir, 'checkout');
    expect(read(dir, 'foo')).toBe('foo');
    expect(statSync(join(dir, 'foo')).mode & 0o200).toBe(0o200);
  });

  it('hardlink: workspace files share the cache inode; unprotect makes a writable copy', () => {
    const dir = repoWithLinkType('hardlink');
    const object = statSync(join(dir, FOO_OBJECT));
    expect(statSync(join(dir, 'foo')).ino).toBe(object.ino);
    expect(statSync(join(dir, 'data', 'sub', 'b')).nlink).toBe(2);
    rmSync(join(dir, 'data'), { recursive: true });
    sluiceOk(dir, 'checkout');
    expect(statSync(join(dir, 'data', 'a')).nlink).toBe(2);
    sluiceOk(dir, 'unprotect', 'foo');
    const copy = statSync(join(dir, 'foo'));
    expect(copy.ino).not.toBe(object.ino);
    expect(copy.mode & 0o200).toBe(0o200);
    writeFileSync(join(dir, 'foo'), 'changed');
    expect(read(dir, FOO_OBJECT)).toBe('foo');
  });

  it('symlink: workspace files point into the cache and status stays clean', () => {
    const dir = repoWithLinkType('symlink');
    expect(lstatSync(join(dir, 'foo')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'foo'))).toBe(join(dir, FOO_OBJECT));
    expect(sluiceOk(dir, 'status').stdout).toContain('Data and pipelines are up to date.');
    rmSync(join(dir, 'foo'));
    sluiceOk(dir, 'checkout');
    expect(lstatSync(join(dir, 'foo')).isSymbolicLink()).toBe(true);
  });

  it('checkout --relink replaces copies with the configured link type', () => {
    const dir = makeRepo('sluice');
    writeTree(dir, { foo: 'foo' });
    sluiceOk(dir, 'add', 'foo');
    sluiceOk(dir, 'config', 'cache.type', 'hardlink');
    expect(sluiceOk(dir, 'checkout', '--relink').stdout).toContain('Relinked successfully');
    expect(statSync(join(dir, 'foo')).ino).toBe(statSync(join(dir, FOO_OBJECT)).ino);
  });
});
