import { httpCapabilities } from './capabilities.js';
import type { RemoteOptionSchema, StorageBackend } from '../../storage.js';

/** DVC's HTTP_COMMON. */
const HTTP_OPTIONS: RemoteOptionSchema = {
  auth: { oneOf: ['basic', 'digest', 'custom'] },
  custom_auth_header: 'str',
  user: 'str',
  password: 'str',
  ask_password: 'bool',
  ssl_verify: 'str',
  method: 'str',
  connect_timeout: { float: { min: 0 } },
  read_timeout: { float: { min: 0 } },
  verify: 'bool',
};

/** A plain HTTP server: GET, PUT or POST, DELETE; no listing. */
export const httpBackend: StorageBackend = {
  name: 'http',
  schemes: ['http', 'https'],
  options: HTTP_OPTIONS,
  capabilities: httpCapabilities,
  importUrl: { source: 'get' },
  open: async (url, config) => (await import('./httpStorage.js')).createHttpStorage(url, config),
};
