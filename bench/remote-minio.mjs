#!/usr/bin/env node
// Push then pull to an S3 remote served by a real MinIO on 127.0.0.1, sluice vs real DVC, and
// `status -c` with everything pushed (the scenario is in remote-lib.mjs). MinIO is the binary
// scripts/ensure-servers.sh builds; it is started here on a free loopback port and stopped after.
// Sizes: SMALL_FILES (default 10000 files of 4 KiB) and BIG_MIB (default 1024), scaled by
// BENCH_SCALE.
// Usage: node bench/remote-minio.mjs   (needs `npm run build`, scripts/ensure-tools.sh and
// scripts/ensure-servers.sh)
import process from 'node:process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { BENCH_ENV, dvc, makeTempDir, removeDir, sluice } from './lib.mjs';
import { runRemoteBench } from './remote-lib.mjs';

const HOST = '127.0.0.1';
const TOOLS = { sluice, dvc };
const BUCKET = 'bench';
const toolsDir = process.env.SLUICE_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'sluice-tools');
const minioBin = path.join(toolsDir, 'bin', 'minio');

// Network safety: no SDK may look for the instance-metadata service.
const SAFE_ENV = {
  AWS_EC2_METADATA_DISABLED: 'true',
  METADATA_SERVER_DETECTION: 'none',
  GCE_METADATA_HOST: '127.0.0.1:9',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
Object.assign(process.env, SAFE_ENV);
Object.assign(BENCH_ENV, SAFE_ENV);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function startMinio() {
  if (!existsSync(minioBin)) {
    throw new Error(`MinIO binary missing: ${minioBin} (run scripts/ensure-servers.sh)`);
  }
  const dir = makeTempDir('minio');
  const port = await freePort();
  const consolePort = await freePort();
  const accessKeyId = `bench${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(18).toString('hex');
  const child = spawn(
    minioBin,
    [
      'server',
      path.join(dir, 'data'),
      '--address',
      `${HOST}:${port}`,
      '--console-address',
      `${HOST}:${consolePort}`,
      '--quiet',
    ],
    {
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_CONFIG_DIR: path.join(dir, 'config'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    removeDir(dir);
  };
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`MinIO did not start on port ${port}: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const endpoint = `http://${HOST}:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // MinIO answers 503 for a moment after the port opens.
  for (let attempt = 0; ; attempt += 1) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      break;
    } catch (error) {
      const status = error?.$metadata?.httpStatusCode;
      if (attempt >= 50 || (status !== undefined && status < 500)) {
        client.destroy();
        await stop();
        throw error;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  /** Deletes every object under `prefix` (a finished run's data). */
  const clear = async (prefix) => {
    let token;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length > 0) {
        await client.send(
          new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys, Quiet: true } }),
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  };
  const close = async () => {
    client.destroy();
    await stop();
  };
  return { endpoint, accessKeyId, secretAccessKey, clear, close };
}

const minio = await startMinio();
try {
  const report = await runRemoteBench({
    name: 'remote-minio',
    title: 'push, pull and status -c with an S3 remote on MinIO',
    label: 'MinIO',
    setup(tool, repo, tag) {
      const sl = (args) => TOOLS[tool](args, { cwd: repo });
      // Each tool and run gets its own prefix of the bucket, so nothing is ever already there.
      sl(['remote', 'add', '-d', 'r', `s3://${BUCKET}/${tool}-${tag}`]);
      sl(['remote', 'modify', 'r', 'endpointurl', minio.endpoint]);
      sl(['remote', 'modify', '--local', 'r', 'access_key_id', minio.accessKeyId]);
      sl(['remote', 'modify', '--local', 'r', 'secret_access_key', minio.secretAccessKey]);
    },
    clear: (label, rep) =>
      Promise.all(Object.keys(TOOLS).map((tool) => minio.clear(`${tool}-${label}-${rep}/`))),
  });
  process.exitCode = report.finish();
} finally {
  await minio.close();
}
