import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, makeRepo, sluiceOk, tempDir, writeTree } from '../helpers/sandbox.js';

/**
 * What a killed command leaves behind - files under Sluice's temporary names whose writer is
 * gone - is removed by the next command; a live writer's files and the user's look-alikes stay.
 * The names are made here from the documented pattern, `.NAME.PID-START-HOST.TAGCOUNT.tmp`
 * (START: field 22 of /proc/PID/stat; HOST: 6 hex digits of the md5 of the host name).
 */

afterEach(cleanupSandboxes);

const FOO_DIR = join('.dvc', 'cache', 'files', 'md5', 'ac');

function startTime(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
}

const HOST = createHash('md5').update(hostname()).digest('hex').slice(0, 6);
const OWN_START = startTime(process.pid);

/** A process that has exited: its pid names no process (for a while). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  expect(child.status).toBe(0);
  return child.pid;
}

function tempName(base: string, pid: number, start: number): string {
  return `.${base}.${pid}-${start}-${HOST}.1a2b3c4d${Math.floor(Math.random() * 1000).toString(36)}.tmp`;
}

/** A repo with foo and data/ (data/sub/b) tracked and committed. */
function trackedRepo(): string {
  const dir = makeRepo('sluice');
  writeTree(dir, { foo: 'foo', 'data/a': 'a', 'data/sub/b': 'b', 'bar/baz.txt': 'baz' });
  sluiceOk(dir, 'add', 'foo', 'data', 'bar/baz.txt');
  return dir;
}

/** Plants `name` (a file of `bytes` bytes) in `folder` of `dir`; answers its repo path. */
function plant(dir: string, folder: string, name: string, bytes = 3): string {
  mkdirSync(join(dir, folder), { recursive: true });
  const path = join(folder, name);
  writeFileSync(join(dir, path), Buffer.alloc(bytes, 120));
  return path;
}

describe('temporary files of killed commands', () => {
  for (const command of [['checkout'], ['add', 'foo']]) {
    it(`a dead writer's files in the cache, the workspace and .dvc/tmp go at the next ${command[0]}`, () => {
      const dir = trackedRepo();
      const dead = deadPid();
      const start = 12345;
      const planted = [
        plant(dir, FOO_DIR, tempName('bd18db4cc2f85cedef654fccc4a4d8', dead, start)),
        plant(dir, join('.dvc', 'cache', 'files', 'md5'), tempName('object', dead, start), 4096),
        plant(dir, '.', tempName('foo', dead, start)),
        plant(dir, 'bar', tempName('baz.txt', dead, start)),
        plant(dir, join('.dvc', 'tmp'), tempName('sluice.lock', dead, start)),
        plant(dir, join('.dvc', 'tmp', 'sluice'), tempName('links.json', dead, start)),
      ];
      sluiceOk(dir, ...command);
      for (const path of planted) expect(existsSync(join(dir, path)), path).toBe(false);
      expect(readFileSync(join(dir, 'foo'), 'utf8')).toBe('foo');
    });
  }

  it('keeps a live writer’s files and the user’s look-alikes; a reused pid is not its owner', () => {
    const dir = trackedRepo();
    const live = [
      plant(dir, FOO_DIR, tempName('bd18db4cc2f85cedef654fccc4a4d8', process.pid, OWN_START)),
      plant(dir, '.', tempName('foo', process.pid, OWN_START)),
      plant(dir, join('.dvc', 'tmp'), tempName('hashes', process.pid, OWN_START)),
    ];
    // this test's pid, but a start time of another process: the pid was reused
    const reused = [
      plant(dir, FOO_DIR, tempName('bd18db4cc2f85cedef654fccc4a4d8', process.pid, OWN_START - 1)),
      plant(dir, '.', tempName('foo', process.pid, OWN_START + 7)),
    ];
    const dead = deadPid();
    const users = [
      plant(dir, '.', '.notes.tmp'),
      plant(dir, '.', `.foo.${dead}.tmp`),
      plant(dir, '.', `.foo.${dead}-1-${HOST}.tmp`),
      plant(dir, '.', `foo.${dead}-1-${HOST}.1a2b3c4d1.tmp`),
      plant(dir, '.', `.foo.${dead}-1-${HOST}.1a2b3c4d1.tmp.bak`),
      plant(dir, '.', `.foo.${dead}-1-${HOST}.1a2b3c4d1.TMP`),
      plant(dir, 'bar', `.baz.txt.${dead}.1a2b3c4d1.tmp`), // an older version's name: not in the workspace
    ];
    // a folder and a symlink under a dead writer's name are never removed, nor what they point to
    const outside = tempDir();
    writeFileSync(join(outside, 'precious'), 'keep me');
    const link = join(dir, tempName('foo', dead, 1));
    symlinkSync(join(outside, 'precious'), link);
    const folder = join(dir, tempName('foo', dead, 2));
    mkdirSync(folder);
    sluiceOk(dir, 'checkout');
    for (const path of [...live, ...users]) expect(existsSync(join(dir, path)), path).toBe(true);
    for (const path of reused) expect(existsSync(join(dir, path)), path).toBe(false);
    expect(readFileSync(link, 'utf8')).toBe('keep me');
    expect(existsSync(folder)).toBe(true);
  });

  it('a dead command’s record leads the sweep inside a tracked folder, even for status', () => {
    const dir = trackedRepo();
    const dead = deadPid();
    const deep = plant(dir, join('data', 'sub'), tempName('b', dead, 99));
    // not recorded, not beside an output: status does not look there
    const unrecorded = plant(dir, 'data', tempName('a', dead, 99));
    const records = join(dir, '.dvc', 'tmp', 'sluice', 'writing');
    mkdirSync(records, { recursive: true });
    const record = join(records, `${dead}-99-${HOST}.folders`);
    writeFileSync(record, `${join(dir, 'data', 'sub')}\n/etc\n`);
    sluiceOk(dir, 'status');
    expect(existsSync(join(dir, deep))).toBe(false);
    expect(existsSync(record)).toBe(false);
    expect(existsSync(join(dir, unrecorded))).toBe(true);
  });

  it('a record never leads the sweep through a symlink or outside the repository', () => {
    const dir = trackedRepo();
    const dead = deadPid();
    const outside = tempDir();
    const theirs = tempName('x', dead, 5);
    writeFileSync(join(outside, theirs), 'not the repo’s');
    symlinkSync(outside, join(dir, 'linked'));
    const records = join(dir, '.dvc', 'tmp', 'sluice', 'writing');
    mkdirSync(records, { recursive: true });
    writeFileSync(
      join(records, `${dead}-5-${HOST}.folders`),
      `${outside}\n${join(dir, 'linked')}\n`,
    );
    sluiceOk(dir, 'checkout');
    expect(existsSync(join(outside, theirs))).toBe(true);
    expect(readdirSync(records).filter((name) => name.endsWith('.folders'))).toEqual([]);
  });

  it('gc reports what it reclaimed; an older version’s cache leftovers go once old', () => {
    const dir = trackedRepo();
    const dead = deadPid();
    plant(dir, FOO_DIR, tempName('bd18db4cc2f85cedef654fccc4a4d8', dead, 3), 1_500_000);
    const old = plant(dir, join('.dvc', 'cache', 'files', 'md5'), `.tmp-${dead}-k3j4h5`, 500_000);
    const hourAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(dir, old), hourAgo, hourAgo);
    const recent = plant(dir, join('.dvc', 'cache', 'files', 'md5'), `.tmp-${dead}-zzzzzz`, 10);
    const result = sluiceOk(dir, 'gc', '-w', '-f');
    expect(result.stdout).toContain(
      'Removed 2 temporary files (2.0 MB) left by interrupted commands.',
    );
    expect(existsSync(join(dir, old))).toBe(false);
    // an old name says no host: only its age tells it is dead
    expect(existsSync(join(dir, recent))).toBe(true);
    const again = sluiceOk(dir, 'gc', '-w', '-f');
    expect(again.stdout).not.toContain('temporary');
  });

  it('push and gc -c remove what killed uploads left on a local remote', () => {
    const dir = trackedRepo();
    const remote = tempDir();
    sluiceOk(dir, 'remote', 'add', '-d', 'store', remote);
    const dead = deadPid();
    // where the push of foo will write: the folder of its object
    const uploading = plant(remote, join('files', 'md5', 'ac'), tempName('bd18', dead, 8), 700);
    const elsewhere = plant(remote, join('files', 'md5', '00'), tempName('00aa', dead, 8), 300_000);
    const live = plant(
      remote,
      join('files', 'md5', '00'),
      tempName('00bb', process.pid, OWN_START),
    );
    sluiceOk(dir, 'push');
    expect(existsSync(join(remote, uploading))).toBe(false);
    expect(existsSync(join(remote, elsewhere))).toBe(true);
    const gc = sluiceOk(dir, 'gc', '-w', '-c', '-f');
    expect(gc.stdout).toContain(
      'Removed 1 temporary file (0.3 MB) from remote left by interrupted commands.',
    );
    expect(existsSync(join(remote, elsewhere))).toBe(false);
    expect(existsSync(join(remote, live))).toBe(true);
  });
});
