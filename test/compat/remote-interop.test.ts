import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  git,
  makeRepo,
  read,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';
import { startMinio, type MinioServer } from '../helpers/servers/minio.js';
import { startSshd, type SshServer } from '../helpers/servers/sshd.js';

// Real DVC (with its s3 and ssh extras) and Sluice share remotes on MinIO and sshd: what one
// pushes the other pulls, byte for byte; and both write the same import files.

let minio: MinioServer;
let sshd: SshServer;

type Tool = 'sluice' | 'dvc';

function runOk(tool: Tool, cwd: string, ...args: string[]): string {
  return tool === 'sluice' ? sluiceOk(cwd, ...args).stdout : dvcOk(cwd, ...args).stdout;
}

/** Every file under `dir` (relative, sorted) with its bytes, skipping git and per-machine state. */
function snapshot(dir: string, base = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(join(dir, base), { withFileTypes: true })) {
    const rel = base === '' ? entry.name : `${base}/${entry.name}`;
    if (rel === '.git' || rel === '.dvc/tmp' || rel === '.dvc/config.local') continue;
    if (entry.isDirectory()) {
      for (const [k, v] of snapshot(dir, rel)) found.set(k, v);
    } else {
      found.set(rel, readFileSync(join(dir, rel)).toString('base64'));
    }
  }
  return found;
}

function cacheOf(repo: string): Map<string, string> {
  return snapshot(join(repo, '.dvc', 'cache'));
}

function workspaceOf(repo: string): Map<string, string> {
  const all = snapshot(repo);
  for (const key of [...all.keys()]) if (key.startsWith('.dvc/')) all.delete(key);
  return all;
}

const DATA = {
  'data/raw.csv': 'id,value\n1,10\n2,20\n',
  'images/a.bin': Buffer.alloc(70_000, 7).toString('latin1'),
  'images/sub/b.txt': 'bbbb',
  'images/sub/c.txt': '',
};

/** Configures remote `store` at `url` with `local` options in config.local, with either tool. */
function addRemote(tool: Tool, repo: string, url: string, local: Record<string, string>): void {
  runOk(tool, repo, 'remote', 'add', '-d', 'store', url);
  for (const [key, value] of Object.entries(local)) {
    runOk(tool, repo, 'remote', 'modify', '--local', 'store', key, value);
  }
}

/**
 * `from` tracks and pushes; a git clone pulled with `to` must end up with the same workspace and
 * the same cache objects.
 */
function roundTrip(from: Tool, to: Tool, url: string, local: Record<string, string>): void {
  const origin = makeRepo(from);
  writeTree(origin, DATA);
  runOk(from, origin, 'add', 'data/raw.csv', 'images');
  addRemote(from, origin, url, local);
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'data');
  const pushed = runOk(from, origin, 'push');
  expect(pushed).toContain('5 files pushed');
  const clone = join(tempDir('sluice-interop-'), 'clone');
  git(origin, 'clone', '-q', origin, clone);
  for (const [key, value] of Object.entries(local)) {
    runOk(to, clone, 'remote', 'modify', '--local', 'store', key, value);
  }
  const pulled = runOk(to, clone, 'pull');
  expect(pulled).toContain('added');
  expect(workspaceOf(clone)).toEqual(workspaceOf(origin));
  expect(cacheOf(clone)).toEqual(cacheOf(origin));
  expect(cacheOf(clone).size).toBe(5);
  // And nothing is left to move either way.
  expect(runOk(to, clone, 'status', '-c')).toMatch(/in sync|up to date/);
}

beforeAll(async () => {
  [minio, sshd] = await Promise.all([startMinio(), startSshd()]);
  await minio.createBucket('interop');
}, 180_000);

afterAll(async () => {
  await Promise.all([minio.stop(), sshd.stop()]);
  cleanupSandboxes();
});

function s3Options(): Record<string, string> {
  return {
    endpointurl: minio.endpoint,
    access_key_id: minio.accessKeyId,
    secret_access_key: minio.secretAccessKey,
  };
}

function sshOptions(): Record<string, string> {
  return { keyfile: sshd.keyFile, port: String(sshd.port), user: sshd.user };
}

describe('push with one tool, pull with the other', () => {
  it('S3 (MinIO): Sluice pushes, DVC pulls', () => {
    roundTrip('sluice', 'dvc', 's3://interop/sluice-to-dvc', s3Options());
  });

  it('S3 (MinIO): DVC pushes, Sluice pulls', () => {
    roundTrip('dvc', 'sluice', 's3://interop/dvc-to-sluice', s3Options());
  });

  it('SSH (sshd): Sluice pushes, DVC pulls', () => {
    roundTrip('sluice', 'dvc', `ssh://${sshd.host}${sshd.root}/sluice-to-dvc`, sshOptions());
  });

  it('SSH (sshd): DVC pushes, Sluice pulls', () => {
    roundTrip('dvc', 'sluice', `ssh://${sshd.host}${sshd.root}/dvc-to-sluice`, sshOptions());
  });
});

describe('import files are byte-identical', () => {
  it('import from a git repository: file, folder at a tag, file inside a folder, git file', () => {
    const src = makeRepo('dvc');
    writeTree(src, { ...DATA, 'notes.md': 'plain git file' });
    dvcOk(src, 'add', '-q', 'data/raw.csv', 'images');
    dvcOk(src, 'remote', 'add', '-d', 'store', join(tempDir(), 'storage'));
    git(src, 'add', '-A');
    git(src, 'commit', '-q', '-m', 'data');
    git(src, 'tag', 'v1');
    dvcOk(src, 'push', '-q');
    const cases: string[][] = [
      ['data/raw.csv'],
      ['images', '-o', 'imgs', '--rev', 'v1'],
      ['images/sub/b.txt', '-o', 'b.txt'],
      ['notes.md'],
      ['data/raw.csv', '-o', 'ne.csv', '--no-exec'],
      ['images', '-o', 'nd', '--no-download'],
    ];
    const byTool = { dvc: makeRepo('dvc'), sluice: makeRepo('sluice') };
    for (const tool of ['dvc', 'sluice'] as const) {
      for (const args of cases) runOk(tool, byTool[tool], 'import', src, ...args);
    }
    for (const file of ['raw.csv', 'imgs', 'b.txt', 'notes.md', 'ne.csv', 'nd']) {
      expect(read(byTool.sluice, `${file}.dvc`), file).toBe(read(byTool.dvc, `${file}.dvc`));
    }
    expect(read(byTool.sluice, '.gitignore')).toBe(read(byTool.dvc, '.gitignore'));
    expect(workspaceOf(byTool.sluice)).toEqual(workspaceOf(byTool.dvc));
  });

  it('import-url from s3 and ssh, with --fs-config', () => {
    const byTool = { dvc: makeRepo('dvc'), sluice: makeRepo('sluice') };
    // Put the sources there with DVC itself (a push of a tracked folder is plain objects).
    const seed = makeRepo('dvc');
    writeTree(seed, DATA);
    dvcOk(seed, 'add', '-q', 'images');
    addRemote('dvc', seed, 's3://interop/seed', s3Options());
    dvcOk(seed, 'push', '-q');
    const s3Config = Object.entries(s3Options()).flatMap(([k, v]) => ['--fs-config', `${k}=${v}`]);
    const sshConfig = Object.entries(sshOptions()).flatMap(([k, v]) => [
      '--fs-config',
      `${k}=${v}`,
    ]);
    const sshBase = `ssh://${sshd.host}${sshd.root}`;
    writeTree(sshd.root, { 'src/one.txt': 'one', 'src/dir/two.txt': 'two' });
    for (const tool of ['dvc', 'sluice'] as const) {
      const repo = byTool[tool];
      runOk(tool, repo, 'import-url', 's3://interop/seed/files', 'seedfiles', ...s3Config);
      runOk(
        tool,
        repo,
        'import-url',
        '--no-download',
        's3://interop/seed/files',
        'nd',
        ...s3Config,
      );
      runOk(tool, repo, 'import-url', `${sshBase}/src/one.txt`, ...sshConfig);
      runOk(tool, repo, 'import-url', `${sshBase}/src/dir`, 'sshdir', ...sshConfig);
    }
    for (const file of ['seedfiles', 'nd', 'one.txt', 'sshdir']) {
      expect(read(byTool.sluice, `${file}.dvc`), file).toBe(read(byTool.dvc, `${file}.dvc`));
    }
    expect(workspaceOf(byTool.sluice)).toEqual(workspaceOf(byTool.dvc));
    expect(cacheOf(byTool.sluice)).toEqual(cacheOf(byTool.dvc));
  });
});
