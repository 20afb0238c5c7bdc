import type { StorageCapabilities } from '../../storage.js';

/** What azure storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const azureCapabilities: StorageCapabilities = {
  canList: true,
  listPrefixLength: 3,
  defaultJobs: 16,
};
