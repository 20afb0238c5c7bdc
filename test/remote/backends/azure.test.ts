import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../src/core/4-storage/registry.js';
import { startAzurite, type AzuriteServer } from '../../helpers/servers/azurite.js';
import { describeConformance } from './conformance.js';

let server: AzuriteServer;
let roots = 0;

beforeAll(async () => {
  server = await startAzurite();
  await server.createContainer('sluice-tests');
});

afterAll(async () => {
  await server?.stop();
});

describeConformance('Azure (Azurite)', () => ({
  open: () =>
    openStorage(`azure://sluice-tests/root-${++roots}`, {
      connection_string: server.connectionString,
    }),
  openWithWrongCredentials: () =>
    openStorage('azure://sluice-tests/wrong', { connection_string: server.wrongConnectionString }),
  secrets: [server.accountKey, /AccountKey=([^;]+)/.exec(server.wrongConnectionString)?.[1] ?? ''],
  manyKeys: 1050,
}));

describe('Azure backend specifics', () => {
  it('names a missing container', async () => {
    const storage = await openStorage('azure://no-such-container/x', {
      connection_string: server.connectionString,
    });
    await expect(storage.list('')[Symbol.asyncIterator]().next()).rejects.toThrow(
      /container 'no-such-container' does not exist/,
    );
    await storage.close();
  });

  it('reports an unreachable endpoint clearly', async () => {
    const storage = await openStorage('azure://sluice-tests/x', {
      connection_string: server.connectionString.replace(/:\d+\//, ':9/'),
    });
    await expect(storage.exists('a')).rejects.toThrow(/cannot connect to remote/);
    await storage.close();
  });

  it('refuses to run without credentials', async () => {
    const saved = process.env.AZURE_STORAGE_CONNECTION_STRING;
    delete process.env.AZURE_STORAGE_CONNECTION_STRING;
    try {
      await expect(openStorage('azure://c/x', {})).rejects.toThrow(/authentication failed/);
    } finally {
      if (saved !== undefined) process.env.AZURE_STORAGE_CONNECTION_STRING = saved;
    }
  });
});
