import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../src/core/4-storage/registry.js';
import type { RemoteStorage } from '../../../src/core/4-storage/storage.js';
import { startFakeGcs, type FakeGcsServer } from '../../helpers/servers/fakeGcs.js';
import { describeConformance } from './conformance.js';

let server: FakeGcsServer;
let roots = 0;

beforeAll(async () => {
  server = await startFakeGcs();
  await server.createBucket('sluice-tests');
});

afterAll(async () => {
  await server?.stop();
});

describeConformance('GCS (fake-gcs-server)', () => ({
  open: () =>
    openStorage(`gs://sluice-tests/root-${++roots}`, {
      endpointurl: server.endpoint,
      projectname: 'sluice',
    }),
  // fake-gcs-server accepts any caller, so the wrong-credentials case is a bad key file
  // against the real Google endpoint's configuration path (no request is sent).
  openWithWrongCredentials: (): Promise<RemoteStorage> =>
    openStorage('gs://sluice-tests/wrong', { credentialpath: '/nonexistent/sa-key.json' }),
  secrets: [],
  manyKeys: 1050,
}));

describe('GCS backend specifics', () => {
  it('names a missing bucket', async () => {
    const storage = await openStorage('gs://no-such-bucket/x', { endpointurl: server.endpoint });
    await expect(storage.list('')[Symbol.asyncIterator]().next()).rejects.toThrow(
      /bucket 'no-such-bucket' does not exist/,
    );
    await storage.close();
  });

  it('refuses to run without credentials instead of asking the metadata server', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '';
    const savedHome = process.env.HOME;
    process.env.HOME = '/nonexistent';
    try {
      await expect(openStorage('gs://b/x', {})).rejects.toThrow(/authentication failed/);
    } finally {
      process.env.HOME = savedHome;
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });
});
