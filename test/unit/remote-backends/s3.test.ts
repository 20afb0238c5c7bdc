import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/core/errors.js';
import { openStorage } from '../../../src/core/remote/registry.js';
import { startMinio, type MinioServer } from '../../helpers/servers/minio.js';
import { describeConformance } from './conformance.js';

let server: MinioServer;
let roots = 0;

beforeAll(async () => {
  server = await startMinio();
  await server.createBucket('sluice-tests');
});

afterAll(async () => {
  await server?.stop();
});

function config(extra: Record<string, string> = {}): Record<string, string> {
  return {
    endpointurl: server.endpoint,
    access_key_id: server.accessKeyId,
    secret_access_key: server.secretAccessKey,
    ...extra,
  };
}

describeConformance('S3 (MinIO)', () => ({
  open: () => openStorage(`s3://sluice-tests/root-${++roots}/sub`, config()),
  openWithWrongCredentials: () =>
    openStorage(
      's3://sluice-tests/wrong',
      config({ secret_access_key: 'not-the-secret-0123456789' }),
    ),
  secrets: [server.secretAccessKey, 'not-the-secret-0123456789'],
  manyKeys: 1050,
}));

describe('S3 backend specifics', () => {
  it('names a missing bucket', async () => {
    const storage = await openStorage('s3://no-such-bucket-here/x', config());
    const target = join(mkdtempSync(join(tmpdir(), 'sluice-s3-')), 'x');
    await expect(storage.download('a', target)).rejects.toThrow(SluiceError);
    await expect(storage.list('')[Symbol.asyncIterator]().next()).rejects.toThrow(
      /bucket 'no-such-bucket-here' does not exist/,
    );
    await storage.close();
  });

  it('takes credentials from the AWS environment variables when the config has none', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
    try {
      const storage = await openStorage('s3://sluice-tests/env', { endpointurl: server.endpoint });
      expect(await storage.exists('nothing')).toBe(false);
      await storage.close();
    } finally {
      process.env = saved;
    }
  });

  it('reads a profile from a credentials file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-profile-'));
    const credentials = join(dir, 'credentials');
    writeFileSync(
      credentials,
      `[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n[team]\naws_access_key_id = ${server.accessKeyId}\naws_secret_access_key = ${server.secretAccessKey}\n`,
    );
    const storage = await openStorage('s3://sluice-tests/profile', {
      endpointurl: server.endpoint,
      profile: 'team',
      credentialpath: credentials,
    });
    expect(await storage.exists('nothing')).toBe(false);
    await storage.close();
  });

  it('refuses to run without credentials instead of asking the metadata service', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    try {
      await expect(
        openStorage('s3://sluice-tests/none', { endpointurl: server.endpoint }),
      ).rejects.toThrow(/authentication failed.*no AWS credentials found/);
    } finally {
      process.env = saved;
    }
  });

  it('reports an unreachable endpoint clearly', async () => {
    const storage = await openStorage(
      's3://sluice-tests/x',
      config({ endpointurl: 'http://127.0.0.1:9' }),
    );
    await expect(storage.exists('a')).rejects.toThrow(/cannot connect to remote/);
    await storage.close();
  });
});
