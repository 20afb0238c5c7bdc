import { SluiceError } from '../../errors.js';
import type { RemoteConfig, RemoteStorage } from '../storage.js';

/** Placeholder until the webdav backend lands. */
export function createWebdavStorage(url: string, _config: RemoteConfig): Promise<RemoteStorage> {
  return Promise.reject(new SluiceError('REMOTE', `remote '${url}': this kind of storage is not supported yet`));
}
