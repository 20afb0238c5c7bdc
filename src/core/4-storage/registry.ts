import { SluiceError } from '../1-base/errors.js';
import type { RemoteConfig, RemoteStorage, StorageFactory } from './storage.js';

/**
 * Backends by URL scheme, each imported only when a remote of its kind is used (the cloud
 * SDKs take 100-200 ms to load).
 */
const FACTORIES: Record<string, () => Promise<StorageFactory>> = {
  local: async () => (await import('./backends/local.js')).createLocalStorage,
  s3: async () => (await import('./backends/s3.js')).createS3Storage,
  ssh: async () => (await import('./backends/ssh.js')).createSshStorage,
  http: async () => (await import('./backends/http.js')).createHttpStorage,
  https: async () => (await import('./backends/http.js')).createHttpStorage,
  webdav: async () => (await import('./backends/webdav.js')).createWebdavStorage,
  webdavs: async () => (await import('./backends/webdav.js')).createWebdavStorage,
  azure: async () => (await import('./backends/azure.js')).createAzureStorage,
  gs: async () => (await import('./backends/gcs.js')).createGcsStorage,
};

/** The scheme of a remote URL; a plain path (or `file://`) is `local`. */
export function schemeOf(url: string): string {
  const match = /^([a-zA-Z][\w+.-]*):\/\//.exec(url);
  if (match === null) return 'local';
  const scheme = (match[1] ?? '').toLowerCase();
  return scheme === 'file' ? 'local' : scheme;
}

export async function openStorage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  const scheme = schemeOf(url);
  const load = FACTORIES[scheme];
  if (load === undefined) {
    throw new SluiceError('CONFIG', `Unsupported URL type ${scheme}://`, {
      hint: `supported: ${Object.keys(FACTORIES).join(', ')}`,
    });
  }
  const factory = await load();
  return factory(url, config);
}
