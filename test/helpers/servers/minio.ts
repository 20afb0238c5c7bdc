import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  HOST,
  makeTempDir,
  removeDir,
  requireBinary,
  startProcess,
  toolsBinDir,
} from './common.js';

export interface MinioServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Creates a bucket (names must be 3-63 lowercase characters). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** A real MinIO server (built by scripts/ensure-servers.sh) on a free loopback port. */
export async function startMinio(): Promise<MinioServer> {
  const binary = requireBinary(join(toolsBinDir, 'minio'));
  const dir = makeTempDir('minio');
  const port = await freePort();
  const consolePort = await freePort();
  const accessKeyId = `sluice${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(18).toString('hex');
  const server = await startProcess(
    'minio',
    binary,
    [
      'server',
      join(dir, 'data'),
      '--address',
      `${HOST}:${port}`,
      '--console-address',
      `${HOST}:${consolePort}`,
      '--quiet',
    ],
    port,
    {
      env: {
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CONFIG_DIR: join(dir, 'config'),
      },
      timeoutMs: 60_000,
    },
  );
  const endpoint = `http://${HOST}:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    async createBucket(name) {
      // MinIO answers 503 for a moment after the port opens; retry briefly.
      for (let attempt = 0; ; attempt += 1) {
        try {
          await client.send(new CreateBucketCommand({ Bucket: name }));
          return;
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
            ?.httpStatusCode;
          if (attempt >= 50 || (status !== undefined && status < 500)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
    async stop() {
      client.destroy();
      await server.stop();
      removeDir(dir);
    },
  };
}
