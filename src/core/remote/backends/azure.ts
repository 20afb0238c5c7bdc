import { SluiceError } from '../../errors.js';
import type { RemoteConfig, RemoteStorage } from '../storage.js';

/** Placeholder until the azure backend lands. */
export function createAzureStorage(url: string, _config: RemoteConfig): Promise<RemoteStorage> {
  return Promise.reject(new SluiceError('REMOTE', `remote '${url}': this kind of storage is not supported yet`));
}
