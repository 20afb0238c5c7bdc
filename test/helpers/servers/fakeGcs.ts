import { join } from 'node:path';
import {
  freePort,
  HOST,
  makeTempDir,
  removeDir,
  requireBinary,
  startProcess,
  toolsBinDir,
} from './common.js';

export interface FakeGcsServer {
  /** `http://127.0.0.1:PORT` (pass as the remote's endpointurl). */
  endpoint: string;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** fake-gcs-server (built by scripts/ensure-servers.sh), in memory, on a free loopback port. */
export async function startFakeGcs(): Promise<FakeGcsServer> {
  const binary = requireBinary(join(toolsBinDir, 'fake-gcs-server'));
  const dir = makeTempDir('fake-gcs');
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const server = await startProcess(
    'fake-gcs-server',
    binary,
    [
      '-scheme',
      'http',
      '-host',
      HOST,
      '-port',
      String(port),
      '-backend',
      'memory',
      '-public-host',
      `${HOST}:${port}`,
      '-external-url',
      endpoint,
      '-log-level',
      'error',
      '-data',
      dir,
    ],
    port,
  );
  return {
    endpoint,
    async createBucket(name) {
      const response = await fetch(`${endpoint}/storage/v1/b?project=sluice`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (!response.ok && response.status !== 409) {
        throw new Error(`fake-gcs-server: creating bucket ${name}: HTTP ${response.status}`);
      }
    },
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}
