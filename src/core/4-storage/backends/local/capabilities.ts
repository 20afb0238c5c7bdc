import { cpus } from 'node:os';
import type { StorageCapabilities } from '../../storage.js';

/** What local storage can do (see StorageCapabilities); shared by its declaration and its implementation. */
export const localCapabilities: StorageCapabilities = {
  canList: true,
  listPrefixLength: 2,
  defaultJobs: 4 * Math.max(1, cpus().length),
};
