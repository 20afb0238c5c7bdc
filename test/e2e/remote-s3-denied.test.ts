import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  sluiceOk,
  sluiceWithEnv,
  writeTree,
} from '../helpers/sandbox.js';
import { startMinio, type MinioServer } from '../helpers/servers/minio.js';

// A 403 from S3 (here: MinIO refusing wrong credentials) is one clear line about access and
// credentials, for every request a transfer makes.

let minio: MinioServer;

beforeAll(async () => {
  minio = await startMinio();
  await minio.createBucket('denied');
}, 120_000);

afterAll(async () => {
  await minio.stop();
  cleanupSandboxes();
});

describe('S3 access denied', () => {
  it('push, status -c and pull say access denied, not an unexpected error', () => {
    const repo = makeRepo('sluice');
    writeTree(repo, { 'data.txt': 'hello\n' });
    sluiceOk(repo, 'add', 'data.txt');
    sluiceOk(repo, 'remote', 'add', '-d', 'storage', 's3://denied/store');
    sluiceOk(repo, 'remote', 'modify', 'storage', 'endpointurl', minio.endpoint);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'data');
    const env = {
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'not-the-secret-key',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const args of [['push'], ['status', '-c'], ['pull']]) {
      // Without a cache, pull has to ask the remote.
      if (args[0] === 'pull') rmSync(join(repo, '.dvc', 'cache'), { recursive: true });
      const result = sluiceWithEnv(repo, env, ...args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).not.toContain('unexpected error');
      const lines = result.stderr.trim().split('\n');
      const error = lines.find((l) => l.startsWith('ERROR:')) ?? '';
      expect(error, result.stderr).toMatch(/access denied|authentication failed/);
      expect(result.stderr).toMatch(/credentials|access_key_id/);
      expect(lines.length, result.stderr).toBeLessThanOrEqual(2);
    }
  });
});
