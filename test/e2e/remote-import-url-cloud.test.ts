import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  makeRepo,
  read,
  sluiceBin,
  sluiceOk,
  type RunResult,
} from '../helpers/sandbox.js';
import { startAzurite, type AzuriteServer } from '../helpers/servers/azurite.js';
import { startFakeGcs, type FakeGcsServer } from '../helpers/servers/fakeGcs.js';
import { startMinio, type MinioServer } from '../helpers/servers/minio.js';
import { startSshd, type SshServer } from '../helpers/servers/sshd.js';
import { gitHint } from '../helpers/gitHint.js';

// import-url and update against the real test servers (MinIO, sshd, Azurite, fake-gcs-server),
// checking the checksum DVC records for each kind of source.

let minio: MinioServer;
let sshd: SshServer;
let azurite: AzuriteServer;
let gcs: FakeGcsServer;
let s3: S3Client;

/** The real CLI with extra environment (credentials the way a user would export them). */
function sluiceEnv(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): RunResult {
  const result = spawnSync(process.execPath, [sluiceBin, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`sluice ${args.join(' ')} exited ${result.status}\n${result.stderr}`);
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function putS3(key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'src', Key: key, Body: body }));
}

beforeAll(async () => {
  [minio, sshd, azurite, gcs] = await Promise.all([
    startMinio(),
    startSshd(),
    startAzurite(),
    startFakeGcs(),
  ]);
  await minio.createBucket('src');
  s3 = new S3Client({
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await putS3('data.txt', 'hello');
  await putS3('dir/a.txt', 'aaa');
  await putS3('dir/sub/b.txt', 'bbbb');
  await azurite.createContainer('src');
  const container = BlobServiceClient.fromConnectionString(
    azurite.connectionString,
  ).getContainerClient('src');
  await container.getBlockBlobClient('data.txt').upload('hello', 5);
  await gcs.createBucket('src');
  const upload = await fetch(
    `${gcs.endpoint}/upload/storage/v1/b/src/o?uploadType=media&name=data.txt`,
    { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } },
  );
  expect(upload.ok).toBe(true);
  mkdirSync(join(sshd.root, 'dir', 'sub'), { recursive: true });
  writeFileSync(join(sshd.root, 'data.txt'), 'hello');
  writeFileSync(join(sshd.root, 'dir', 'a.txt'), 'aaa');
  writeFileSync(join(sshd.root, 'dir', 'sub', 'b.txt'), 'bbbb');
}, 180_000);

afterAll(async () => {
  s3.destroy();
  await Promise.all([minio.stop(), sshd.stop(), azurite.stop(), gcs.stop()]);
  cleanupSandboxes();
});

describe('import-url from s3 (MinIO)', () => {
  const creds = (): NodeJS.ProcessEnv => ({
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
  });

  it('records the ETag and the fs_config, and update follows the source', async () => {
    const repo = makeRepo('sluice');
    const endpoint = `endpointurl=${minio.endpoint}`;
    const out = sluiceEnv(
      repo,
      creds(),
      'import-url',
      's3://src/data.txt',
      '--fs-config',
      endpoint,
    );
    expect(out.stdout).toBe(
      `Importing 's3://src/data.txt' -> 'data.txt'\n${gitHint('data.txt.dvc .gitignore')}`,
    );
    expect(read(repo, 'data.txt')).toBe('hello');
    // The layout real DVC 3.67.1 writes (the compat suite compares the bytes, stage md5 included).
    expect(read(repo, 'data.txt.dvc')).toMatch(/^md5: [0-9a-f]{32}\n/);
    expect(read(repo, 'data.txt.dvc').replace(/^md5: .*\n/, '')).toBe(
      [
        'frozen: true',
        'deps:',
        '- etag: 5d41402abc4b2a76b9719d911017c592',
        '  size: 5',
        '  hash: md5',
        '  path: s3://src/data.txt',
        '  fs_config:',
        `    endpointurl: ${minio.endpoint}`,
        'outs:',
        '- md5: 5d41402abc4b2a76b9719d911017c592',
        '  size: 5',
        '  hash: md5',
        '  path: data.txt',
        '',
      ].join('\n'),
    );
    sluiceEnv(repo, creds(), 'update', 'data.txt.dvc');
    expect(read(repo, 'data.txt')).toBe('hello');
    await putS3('data.txt', 'world');
    sluiceEnv(repo, creds(), 'update', 'data.txt.dvc');
    expect(read(repo, 'data.txt')).toBe('world');
    expect(read(repo, 'data.txt.dvc')).toContain('- etag: 7d793037a0760186574b0282f2f435e7\n');
    await putS3('data.txt', 'hello');
  });

  it('imports a prefix as a folder; the endpoint may come from AWS_ENDPOINT_URL', () => {
    const repo = makeRepo('sluice');
    const env = { ...creds(), AWS_ENDPOINT_URL: minio.endpoint };
    sluiceEnv(repo, env, 'import-url', 's3://src/dir');
    expect(read(repo, 'dir/sub/b.txt')).toBe('bbbb');
    const text = read(repo, 'dir.dvc');
    // The dep's listing is built from the ETags; the out's from the md5s (as DVC does).
    expect(text).toContain(
      'deps:\n- md5: 4d4adce430d26d91ee87de8984d3d28f.dir\n  size: 7\n  nfiles: 2\n  hash: md5\n  path: s3://src/dir\nouts:\n',
    );
    expect(text).toContain('outs:\n- md5: a4776b8962af99451a5c5463b128b6e3.dir\n');
    expect(text).not.toContain('fs_config');
  });

  it('--no-exec writes no hashes; --no-download records the ETag only', () => {
    const repo = makeRepo('sluice');
    const env = { ...creds(), AWS_ENDPOINT_URL: minio.endpoint };
    sluiceEnv(repo, env, 'import-url', '--no-exec', 's3://src/data.txt', 'ne.txt');
    expect(read(repo, 'ne.txt.dvc')).toBe(
      'frozen: true\ndeps:\n- hash: md5\n  path: s3://src/data.txt\nouts:\n- hash: md5\n  path: ne.txt\n',
    );
    sluiceEnv(repo, env, 'import-url', '--no-download', 's3://src/data.txt', 'nd.txt');
    expect(read(repo, 'nd.txt.dvc')).toContain(
      '- etag: 5d41402abc4b2a76b9719d911017c592\n  size: 5\n  hash: md5\n  path: s3://src/data.txt\nouts:\n- hash: md5\n  path: nd.txt\n',
    );
    sluiceEnv(repo, env, 'update', 'nd.txt.dvc', 'ne.txt.dvc');
    expect(read(repo, 'nd.txt')).toBe('hello');
    expect(read(repo, 'ne.txt')).toBe('hello');
  });
});

describe('import-url from ssh, azure and gs', () => {
  it('ssh: records the md5 of the bytes, for a file and a folder', () => {
    const repo = makeRepo('sluice');
    const opts = ['--fs-config', `keyfile=${sshd.keyFile}`, '--fs-config', `port=${sshd.port}`];
    const base = `ssh://${sshd.user}@${sshd.host}${sshd.root}`;
    sluiceOk(repo, 'import-url', `${base}/data.txt`, ...opts);
    expect(read(repo, 'data.txt.dvc')).toContain(
      `deps:\n- md5: 5d41402abc4b2a76b9719d911017c592\n  size: 5\n  hash: md5\n  path: ${base}/data.txt\n  fs_config:\n    keyfile: ${sshd.keyFile}\n    port: '${sshd.port}'\n`,
    );
    sluiceOk(repo, 'import-url', `${base}/dir`, 'sdir', ...opts);
    expect(read(repo, 'sdir/a.txt')).toBe('aaa');
    expect(read(repo, 'sdir.dvc')).toContain('- md5: a4776b8962af99451a5c5463b128b6e3.dir\n');
    writeFileSync(join(sshd.root, 'data.txt'), 'world');
    sluiceOk(repo, 'update', 'data.txt.dvc');
    expect(read(repo, 'data.txt')).toBe('world');
  });

  it('azure: records the quoted ETag', () => {
    const repo = makeRepo('sluice');
    sluiceOk(
      repo,
      'import-url',
      'azure://src/data.txt',
      '--fs-config',
      `connection_string=${azurite.connectionString}`,
    );
    expect(read(repo, 'data.txt')).toBe('hello');
    expect(read(repo, 'data.txt.dvc')).toMatch(/\ndeps:\n- etag: '"0x[0-9A-F]+"'\n {2}size: 5\n/);
  });

  it('gs: records the ETag decoded from base64 to hex', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import-url', 'gs://src/data.txt', '--fs-config', `endpointurl=${gcs.endpoint}`);
    expect(read(repo, 'data.txt')).toBe('hello');
    expect(read(repo, 'data.txt.dvc')).toMatch(/\ndeps:\n- etag: [0-9a-f]+\n {2}size: 5\n/);
  });
});
