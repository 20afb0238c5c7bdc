import { SluiceError } from '../../errors.js';
import type { RemoteConfig, RemoteStorage } from '../storage.js';

/** Placeholder until the local backend lands. */
export function createLocalStorage(url: string, _config: RemoteConfig): Promise<RemoteStorage> {
  return Promise.reject(new SluiceError('REMOTE', `remote '${url}': this kind of storage is not supported yet`));
}
