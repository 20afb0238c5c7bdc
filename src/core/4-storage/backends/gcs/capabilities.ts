import type { StorageCapabilities } from '../../storage.js';

/** What gcs storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const gcsCapabilities: StorageCapabilities = {
  canList: true,
  listPrefixLength: 3,
  defaultJobs: 16,
};
