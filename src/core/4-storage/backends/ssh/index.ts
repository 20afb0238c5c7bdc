import { sshCapabilities } from './capabilities.js';
import type { StorageBackend } from '../../storage.js';

/** A folder on a host reached over SSH (SFTP). */
export const sshBackend: StorageBackend = {
  name: 'ssh',
  schemes: ['ssh'],
  options: {
    type: 'cacheType',
    port: { int: {} },
    user: 'str',
    password: 'str',
    ask_password: 'bool',
    passphrase: 'str',
    ask_passphrase: 'bool',
    keyfile: 'str',
    timeout: { int: {} },
    gss_auth: 'bool',
    allow_agent: 'bool',
    max_sessions: { int: {} },
    verify: 'bool',
  },
  capabilities: sshCapabilities,
  // SFTP reports no checksum: DVC records the md5 of the bytes, so a source is always read.
  importUrl: { source: 'storage', checksum: 'md5' },
  open: async (url, config) => (await import('./sshStorage.js')).createSshStorage(url, config),
};
