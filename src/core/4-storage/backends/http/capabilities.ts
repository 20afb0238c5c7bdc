import type { StorageCapabilities } from '../../storage.js';

/** What http storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const httpCapabilities: StorageCapabilities = {
  canList: false,
  listPrefixLength: 3,
  defaultJobs: 16,
};
