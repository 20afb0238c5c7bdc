import { localCapabilities } from './capabilities.js';
import type { StorageBackend } from '../../storage.js';

/** A folder: a local path, a `file://` URL or a mounted share. */
export const localBackend: StorageBackend = {
  name: 'local',
  schemes: ['local'],
  // DVC's LOCAL_COMMON, which the `cache` section accepts too.
  options: {
    type: 'cacheType',
    protected: 'bool',
    shared: { oneOf: ['group'] },
    slow_link_warning: 'bool',
    verify: 'bool',
  },
  capabilities: localCapabilities,
  importUrl: { source: 'path' },
  open: async (url, config) => (await import('./localStorage.js')).createLocalStorage(url, config),
};
