import { SluiceError } from '../1-base/errors.js';
import { azureBackend } from './backends/azure/index.js';
import { gcsBackend } from './backends/gcs/index.js';
import { httpBackend } from './backends/http/index.js';
import { localBackend } from './backends/local/index.js';
import { s3Backend } from './backends/s3/index.js';
import { sshBackend } from './backends/ssh/index.js';
import { webdavBackend } from './backends/webdav/index.js';
import type { RemoteConfig, RemoteStorage, StorageBackend } from './storage.js';

/**
 * Every backend, in the order `sluice version` lists their schemes. A backend is one folder
 * under `backends/` whose `index.ts` declares it (see `StorageBackend`); adding one is adding
 * its folder and its line here. Each imports its implementation only when a remote of its kind
 * is opened (the cloud SDKs take 100-200 ms to load).
 */
export const BACKENDS: readonly StorageBackend[] = [
  localBackend,
  httpBackend,
  s3Backend,
  sshBackend,
  webdavBackend,
  azureBackend,
  gcsBackend,
];

/** What `schemeOf` answers for a plain path or a `file://` URL. */
export const LOCAL_SCHEME = 'local';

const BY_SCHEME = new Map(BACKENDS.flatMap((b) => b.schemes.map((s) => [s, b] as const)));

/** The scheme of a remote URL; a plain path (or `file://`) is `local`. */
export function schemeOf(url: string): string {
  const match = /^([a-zA-Z][\w+.-]*):\/\//.exec(url);
  if (match === null) return LOCAL_SCHEME;
  const scheme = (match[1] ?? '').toLowerCase();
  return scheme === 'file' ? LOCAL_SCHEME : scheme;
}

/** The backend that opens URLs of `scheme` (as `schemeOf` names it), if any. */
export function backendFor(scheme: string): StorageBackend | undefined {
  return BY_SCHEME.get(scheme);
}

/** Every scheme a backend opens, in the backends' order. */
export function supportedSchemes(): string[] {
  return BACKENDS.flatMap((b) => b.schemes);
}

export async function openStorage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  const scheme = schemeOf(url);
  const backend = backendFor(scheme);
  if (backend === undefined) {
    throw new SluiceError('CONFIG', `Unsupported URL type ${scheme}://`, {
      hint: `supported: ${supportedSchemes().join(', ')}`,
    });
  }
  return backend.open(url, config);
}
