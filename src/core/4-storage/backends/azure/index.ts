import { azureCapabilities } from './capabilities.js';
import type { StorageBackend } from '../../storage.js';

/** An Azure Blob Storage container. */
export const azureBackend: StorageBackend = {
  name: 'azure',
  schemes: ['azure'],
  options: {
    connection_string: 'str',
    sas_token: 'str',
    account_name: 'str',
    account_key: 'str',
    tenant_id: 'str',
    client_id: 'str',
    client_secret: 'str',
    allow_anonymous_login: 'bool',
    exclude_environment_credential: 'bool',
    exclude_visual_studio_code_credential: 'bool',
    exclude_shared_token_cache_credential: 'bool',
    exclude_managed_identity_credential: 'bool',
    verify: 'bool',
    timeout: { int: {} },
    read_timeout: { int: {} },
    connection_timeout: { int: {} },
  },
  capabilities: azureCapabilities,
  // DVC records Azure's ETag with its quotes (added when the service sent none).
  importUrl: {
    source: 'storage',
    checksum: 'etag',
    recordedEtag: (etag) => (etag.startsWith('"') ? etag : `"${etag}"`),
  },
  open: async (url, config) => (await import('./azureStorage.js')).createAzureStorage(url, config),
};
