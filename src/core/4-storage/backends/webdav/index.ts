import { webdavCapabilities } from './capabilities.js';
import type { StorageBackend } from '../../storage.js';

/** A WebDAV server (`webdav://` is spoken over HTTP, `webdavs://` over HTTPS). */
export const webdavBackend: StorageBackend = {
  name: 'webdav',
  schemes: ['webdav', 'webdavs'],
  // DVC's WEBDAV_COMMON.
  options: {
    user: 'str',
    password: 'str',
    ask_password: 'bool',
    token: 'str',
    bearer_token_command: 'str',
    custom_auth_header: 'str',
    cert_path: 'str',
    key_path: 'str',
    timeout: { int: {} },
    ssl_verify: 'str',
    verify: 'bool',
  },
  capabilities: webdavCapabilities,
  open: async (url, config) =>
    (await import('./webdavStorage.js')).createWebdavStorage(url, config),
};
