import type { StorageCapabilities } from '../../storage.js';

/** What webdav storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const webdavCapabilities: StorageCapabilities = {
  canList: true,
  listPrefixLength: 2,
  defaultJobs: 16,
};
