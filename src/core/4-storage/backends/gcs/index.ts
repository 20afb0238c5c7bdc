import { gcsCapabilities } from './capabilities.js';
import type { StorageBackend } from '../../storage.js';

/** A Google Cloud Storage bucket. */
export const gcsBackend: StorageBackend = {
  name: 'gcs',
  schemes: ['gs'],
  options: {
    projectname: 'str',
    credentialpath: 'str',
    endpointurl: 'str',
    verify: 'bool',
    allow_anonymous_login: 'bool',
  },
  capabilities: gcsCapabilities,
  // GCS sends the ETag as base64; DVC records it as hex.
  importUrl: {
    source: 'storage',
    checksum: 'etag',
    recordedEtag: (etag) => Buffer.from(etag, 'base64').toString('hex'),
  },
  open: async (url, config) => (await import('./gcsStorage.js')).createGcsStorage(url, config),
};
