import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  tempDir,
  sluiceOk,
  sluiceWithEnv,
  writeTree,
} from '../helpers/sandbox.js';
import { startMinio, type MinioServer } from '../helpers/servers/minio.js';

// S3 credentials come from the AWS SDK's provider chain, as for `aws s3 ls`: here a profile
// whose credentials a `credential_process` prints, in an AWS config file named by
// AWS_CONFIG_FILE, and nothing else (no keys in the remote's config or the environment).

let minio: MinioServer;

beforeAll(async () => {
  minio = await startMinio();
  await minio.createBucket('creds');
}, 120_000);

afterAll(async () => {
  await minio.stop();
  cleanupSandboxes();
});

/** An AWS config file with one profile, `proc`, whose credentials come from a process. */
function processProfile(secret: string): string {
  const dir = tempDir('sluice-aws-');
  const script = join(dir, 'credentials.sh');
  const answer = JSON.stringify({
    Version: 1,
    AccessKeyId: minio.accessKeyId,
    SecretAccessKey: secret,
  });
  writeFileSync(script, `#!/bin/sh\ncat <<'JSON'\n${answer}\nJSON\n`);
  chmodSync(script, 0o755);
  const config = join(dir, 'config');
  writeFileSync(config, `[profile proc]\ncredential_process = ${script}\nregion = us-east-1\n`);
  return config;
}

/** The environment of a run with no credentials but those of the profile. */
function onlyProfile(configFile: string, dir: string): NodeJS.ProcessEnv {
  return {
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials-file'),
    AWS_PROFILE: 'proc',
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

async function keysIn(prefix: string): Promise<string[]> {
  const client = new S3Client({
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey },
  });
  const page = await client.send(new ListObjectsV2Command({ Bucket: 'creds', Prefix: prefix }));
  client.destroy();
  return (page.Contents ?? []).map((c) => c.Key ?? '');
}

describe('S3 credentials from the AWS provider chain', () => {
  it('the harness keeps the SDK away from the instance-metadata service', () => {
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
  });

  it('push, status -c and pull work with only a credential_process profile', async () => {
    const repo = makeRepo('sluice');
    writeTree(repo, { 'data.txt': 'from a process\n' });
    sluiceOk(repo, 'add', 'data.txt');
    sluiceOk(repo, 'remote', 'add', '-d', 'storage', 's3://creds/store');
    sluiceOk(repo, 'remote', 'modify', 'storage', 'endpointurl', minio.endpoint);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'data');
    const env = onlyProfile(processProfile(minio.secretAccessKey), repo);

    const push = sluiceWithEnv(repo, env, 'push');
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain('1 file pushed');
    expect(await keysIn('store/files/md5/')).toHaveLength(1);

    const status = sluiceWithEnv(repo, env, 'status', '-c');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('Cache and remote');

    rmSync(join(repo, '.dvc', 'cache'), { recursive: true });
    rmSync(join(repo, 'data.txt'));
    const pull = sluiceWithEnv(repo, env, 'pull');
    expect(pull.code, pull.stderr).toBe(0);
  });

  it('a profile whose process gives wrong keys fails with one line about credentials', () => {
    const repo = makeRepo('sluice');
    writeTree(repo, { 'data.txt': 'refused\n' });
    sluiceOk(repo, 'add', 'data.txt');
    sluiceOk(repo, 'remote', 'add', '-d', 'storage', 's3://creds/refused');
    sluiceOk(repo, 'remote', 'modify', 'storage', 'endpointurl', minio.endpoint);
    const env = onlyProfile(processProfile('not-the-secret-key'), repo);
    const push = sluiceWithEnv(repo, env, 'push');
    expect(push.code).toBe(1);
    expect(push.stderr).not.toContain('unexpected error');
    expect(push.stderr).toMatch(/access denied|authentication failed/);
  });
});
