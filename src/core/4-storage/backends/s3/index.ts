import { s3Capabilities } from './capabilities.js';
import type { StorageBackend } from '../../storage.js';

/** An S3 bucket, or an S3-compatible service (MinIO, Ceph, R2…) given by `endpointurl`. */
export const s3Backend: StorageBackend = {
  name: 's3',
  schemes: ['s3'],
  options: {
    region: 'str',
    profile: 'str',
    credentialpath: 'str',
    configpath: 'str',
    endpointurl: 'str',
    access_key_id: 'str',
    secret_access_key: 'str',
    session_token: 'str',
    listobjects: 'bool',
    use_ssl: 'bool',
    allow_anonymous_login: 'bool',
    ssl_verify: 'str',
    sse: 'str',
    sse_kms_key_id: 'str',
    sse_customer_algorithm: 'str',
    sse_customer_key: 'str',
    acl: 'str',
    grant_read: 'str',
    grant_read_acp: 'str',
    grant_write_acp: 'str',
    grant_full_control: 'str',
    cache_regions: 'pythonBool',
    read_timeout: { int: {} },
    connect_timeout: { int: {} },
    verify: 'bool',
  },
  capabilities: s3Capabilities,
  // DVC records S3's ETag without its quotes.
  importUrl: {
    source: 'storage',
    checksum: 'etag',
    recordedEtag: (etag) => etag.replace(/^"+|"+$/g, ''),
  },
  open: async (url, config) => (await import('./s3Storage.js')).createS3Storage(url, config),
};
