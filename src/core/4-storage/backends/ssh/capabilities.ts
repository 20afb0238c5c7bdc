import type { StorageCapabilities } from '../../storage.js';

/** What ssh storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const sshCapabilities: StorageCapabilities = {
  canList: true,
  listPrefixLength: 2,
  defaultJobs: 8,
};
