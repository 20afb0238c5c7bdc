import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { projectRoot } from '../sandbox.js';
import { freePort, HOST, makeTempDir, removeDir, requireBinary, startProcess } from './common.js';

export interface AzuriteServer {
  accountName: string;
  accountKey: string;
  connectionString: string;
  /** The same account with a wrong key. */
  wrongConnectionString: string;
  createContainer(name: string): Promise<void>;
  stop(): Promise<void>;
}

function connectionString(port: number, account: string, key: string): string {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${account}`,
    `AccountKey=${key}`,
    `BlobEndpoint=http://${HOST}:${port}/${account}`,
  ].join(';');
}

/** Azurite's blob service (from node_modules) in memory, with a generated account and key. */
export async function startAzurite(): Promise<AzuriteServer> {
  const binary = requireBinary(join(projectRoot, 'node_modules', '.bin', 'azurite-blob'));
  const dir = makeTempDir('azurite');
  const port = await freePort();
  const accountName = `sluice${randomBytes(3).toString('hex')}`;
  const accountKey = randomBytes(32).toString('base64');
  const server = await startProcess(
    'azurite',
    binary,
    [
      '--blobHost',
      HOST,
      '--blobPort',
      String(port),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--silent',
      '--loose',
    ],
    port,
    // In memory: the temp folder is only the working directory, for any stray file.
    { cwd: dir, env: { AZURITE_ACCOUNTS: `${accountName}:${accountKey}` } },
  );
  const good = connectionString(port, accountName, accountKey);
  const service = BlobServiceClient.fromConnectionString(good);
  return {
    accountName,
    accountKey,
    connectionString: good,
    wrongConnectionString: connectionString(port, accountName, randomBytes(32).toString('base64')),
    async createContainer(name) {
      await service.getContainerClient(name).createIfNotExists();
    },
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}
