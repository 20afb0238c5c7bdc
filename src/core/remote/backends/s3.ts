import { SluiceError } from '../../errors.js';
import type { RemoteConfig, RemoteStorage } from '../storage.js';

/** Placeholder until the s3 backend lands. */
export function createS3Storage(url: string, _config: RemoteConfig): Promise<RemoteStorage> {
  return Promise.reject(new SluiceError('REMOTE', `remote '${url}': this kind of storage is not supported yet`));
}
