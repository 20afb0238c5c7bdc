import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/core/1-base/errors.js';
import { openStorage } from '../../../src/core/4-storage/registry.js';
import { parseListPage } from '../../../src/core/4-storage/backends/s3/s3Rest.js';
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
  it("runs with the instance-metadata service out of the SDK's reach", () => {
    expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
  });

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

  it('takes credentials from a credential_process profile named by profile and configpath', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-process-'));
    const script = join(dir, 'credentials.sh');
    const answer = JSON.stringify({
      Version: 1,
      AccessKeyId: server.accessKeyId,
      SecretAccessKey: server.secretAccessKey,
    });
    writeFileSync(script, `#!/bin/sh\necho '${answer}'\n`, { mode: 0o755 });
    const configFile = join(dir, 'config');
    writeFileSync(configFile, `[profile proc]\ncredential_process = ${script}\n`);
    const saved = { ...process.env };
    // Keys in the environment are not used when the remote names a profile.
    process.env.AWS_ACCESS_KEY_ID = 'not-this-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-this-secret';
    try {
      const storage = await openStorage('s3://sluice-tests/process', {
        endpointurl: server.endpoint,
        profile: 'proc',
        configpath: configFile,
        credentialpath: join(dir, 'no-credentials'),
      });
      const source = join(dir, 'source');
      writeFileSync(source, 'signed with process credentials');
      await storage.upload(source, 'obj');
      expect(await storage.exists('obj')).toBe(true);
      await storage.close();
    } finally {
      process.env = saved;
    }
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

  it('signs keys and roots with characters that URLs and XML reserve', async () => {
    const storage = await openStorage('s3://sluice-tests/odd root+(1)/a&b', config());
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-odd-'));
    const source = join(dir, 'source');
    writeFileSync(source, 'odd');
    const keys = ['p/a+b c.txt', 'p/100%=*!', "p/<x>&'y'", 'p/~tilde;,$@#?'];
    for (const key of keys) await storage.upload(source, key);
    const listed: string[] = [];
    for await (const key of storage.list('p/')) listed.push(key);
    expect(listed.sort()).toEqual([...keys].sort());
    for (const key of keys) {
      expect(await storage.exists(key)).toBe(true);
      const target = join(dir, 'back');
      await storage.download(key, target);
      expect(readFileSync(target, 'utf8')).toBe('odd');
      await storage.delete(key);
      expect(await storage.exists(key)).toBe(false);
    }
    await storage.close();
  });

  it('sends the sse and acl options with each upload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-sse-'));
    const source = join(dir, 'source');
    writeFileSync(source, 'secret');
    const withAcl = await openStorage('s3://sluice-tests/acl', config({ acl: 'private' }));
    await withAcl.upload(source, 'obj');
    expect(await withAcl.exists('obj')).toBe(true);
    await withAcl.close();
    // This MinIO has no KMS: that it refuses shows the encryption header reached it.
    const withSse = await openStorage('s3://sluice-tests/sse', config({ sse: 'AES256' }));
    await expect(withSse.upload(source, 'obj')).rejects.toThrow(/encryption/i);
    await withSse.close();
  });

  it('repeats a request whose connection drops', async () => {
    // A real TCP relay to MinIO that drops its first connection at once.
    const target = new URL(server.endpoint);
    let dropped = 0;
    const relay = createServer((client) => {
      if (dropped === 0) {
        dropped += 1;
        client.destroy();
        return;
      }
      const upstream = connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as AddressInfo;
    try {
      const storage = await openStorage(
        's3://sluice-tests/relayed',
        config({ endpointurl: `http://127.0.0.1:${port}` }),
      );
      expect(await storage.exists('nothing')).toBe(false);
      expect(dropped).toBe(1);
      await storage.close();
    } finally {
      relay.close();
    }
  });

  it('uploads a file over 16 MiB in parts, and streams it back', async () => {
    const storage = await openStorage(`s3://sluice-tests/multipart-${++roots}`, config());
    const dir = mkdtempSync(join(tmpdir(), 'sluice-s3-big-'));
    const source = join(dir, 'source');
    const bytes = randomBytes(17 * 1024 * 1024 + 5);
    writeFileSync(source, bytes);
    let reported = 0;
    await storage.upload(source, 'big', (n) => (reported += n));
    expect(reported).toBe(bytes.length);
    const target = join(dir, 'back');
    await storage.download('big', target);
    const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
    expect(md5(readFileSync(target))).toBe(md5(bytes));
    await storage.close();
  });
});

describe('S3 listing answers', () => {
  it('reads URL-encoded keys and the continuation token of a truncated page', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>r%2F</Prefix>' +
      '<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>' +
      '<EncodingType>url</EncodingType><NextContinuationToken>a&amp;b=</NextContinuationToken>' +
      '<Contents><Key>r/a+b%2Bc%26</Key><Size>1</Size></Contents>' +
      '<Contents><Key>r/%E6%95%B0</Key><Size>1</Size></Contents></ListBucketResult>';
    expect(parseListPage(xml)).toEqual({ keys: ['r/a b+c&', 'r/数'], nextToken: 'a&b=' });
  });

  it('decodes XML entities when the keys are not URL-encoded, and stops at the last page', () => {
    const xml =
      '<ListBucketResult><IsTruncated>false</IsTruncated>' +
      '<Contents><Key>a&amp;b&lt;&#x41;&#66;</Key></Contents></ListBucketResult>';
    expect(parseListPage(xml)).toEqual({ keys: ['a&b<AB'], nextToken: undefined });
  });
});
