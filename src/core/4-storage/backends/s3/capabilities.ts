import type { StorageCapabilities } from '../../storage.js';

/** What s3 storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const s3Capabilities: StorageCapabilities = {
  canList: true,
  listPrefixLength: 3,
  defaultJobs: 16,
};
