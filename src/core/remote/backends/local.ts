import { constants as fsConstants, type Dirent } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode, SluiceError } from '../../errors.js';
import { tempNameFor } from '../../fs/atomicWrite.js';
import { maskUrl, RemoteNotFoundError, type RemoteConfig, type RemoteStorage } from '../storage.js';

/**
 * A remote that is a folder (local disk or a mounted share). Uploads are copied to a temporary
 * name beside the final one and renamed, so a killed push never leaves a partial object.
 */
export class LocalStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = {
    canList: true,
    listPrefixLength: 2 as const,
    defaultJobs: 4 * Math.max(1, cpus().length),
  };
  private readonly madeDirs = new Set<string>();

  constructor(
    readonly root: string,
    url: string,
  ) {
    this.displayUrl = maskUrl(url);
  }

  /** The absolute path of a key (the sync engine uses it to hash while copying). */
  pathOf(key: string): string {
    return join(this.root, ...key.split('/').filter((p) => p !== ''));
  }

  async *list(prefix: string): AsyncIterable<string> {
    // A prefix is folder-like (`files/md5/ac/`) or a partial name (`files/md5/0`).
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash === -1 ? '' : prefix.slice(0, slash + 1);
    const namePrefix = prefix.slice(slash + 1);
    let entries: Dirent[];
    try {
      entries = await readdir(this.pathOf(dirKey), { withFileTypes: true });
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.name.startsWith(namePrefix)) continue;
      // Temporary names of uploads in progress are never objects.
      if (entry.name.startsWith('.') && entry.name.endsWith('.tmp')) continue;
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        yield* this.list(`${key}/`);
      } else if (entry.isFile()) {
        yield key;
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async upload(localPath: string, key: string, onBytes?: (bytes: number) => void): Promise<void> {
    const target = this.pathOf(key);
    await this.ensureDir(dirname(target));
    const temp = tempNameFor(target);
    try {
      await copyFile(localPath, temp, fsConstants.COPYFILE_FICLONE);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw translate(error, this.displayUrl, key);
    }
    if (onBytes !== undefined) onBytes((await stat(target)).size);
  }

  async download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    const source = this.pathOf(key);
    try {
      await copyFile(source, localPath, fsConstants.COPYFILE_FICLONE);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') {
        // Either the object or the folder we write into is missing; tell them apart.
        if (!(await this.exists(key))) throw new RemoteNotFoundError(key);
      }
      throw translate(error, this.displayUrl, key);
    }
    if (onBytes !== undefined) onBytes((await stat(localPath)).size);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }
}

function translate(error: unknown, url: string, key: string): unknown {
  const code = errnoCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SluiceError('NO_SPACE', `no space left on device while writing '${key}'`, {
      hint: 'free some space and run the command again',
      cause: error,
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new SluiceError('REMOTE', `permission denied on remote '${url}' for '${key}'`, {
      hint: 'check the permissions of the remote folder',
      cause: error,
    });
  }
  return error;
}

/** A plain path or `file://` URL. Relative paths were already resolved by the config reader. */
export function createLocalStorage(url: string, _config: RemoteConfig): Promise<RemoteStorage> {
  const path = url.startsWith('file://') ? fileURLToPath(url) : resolve(url);
  return Promise.resolve(new LocalStorage(path, url));
}
