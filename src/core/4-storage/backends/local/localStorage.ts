import { createHash } from 'node:crypto';
import {
  constants as fsConstants,
  existsSync,
  lstatSync,
  readdirSync,
  statSync,
  type Dirent,
} from 'node:fs';
import {
  copyFile,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  stat,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errnoCode, SluiceError } from '../../../1-base/errors.js';
import { tempNameFor } from '../../../2-fs/atomicWrite.js';
import {
  addReclaimed,
  nothingReclaimed,
  removeDeadTempsIn,
  type Reclaimed,
} from '../../../2-fs/tempFiles.js';
import { BLOCK_SIZE, md5File, md5FileSync } from '../../../3-objects/hashFile.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type RemoteConfig,
  type RemoteStorage,
} from '../../storage.js';
import { localCapabilities } from './capabilities.js';
import { CorruptSourceError } from '../../verifiedUpload.js';
import { folderKeys, listedFolder } from '../shared.js';

/** A folder that is not there lists as empty; any other failure is raised. */
function missingFolder(error: unknown): Dirent[] {
  const code = errnoCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return [];
  throw error;
}

/**
 * A remote that is a folder (local disk or a mounted share). Uploads are copied to a temporary
 * name beside the final one and renamed, so a killed push never leaves a partial object.
 */
export class LocalStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = localCapabilities;
  private readonly madeDirs = new Set<string>();
  readonly reclaimed: Reclaimed = nothingReclaimed();

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
    // One folder at a time, so that listing a whole remote (gc) never holds every key at once.
    const { files, folders } = await this.readFolder(prefix);
    yield* files;
    for (const folder of folders) yield* this.list(folder);
  }

  /**
   * Every key under `prefix` as one array (what `list` yields, without an await per key). The
   * folders are read synchronously: 256 small folders read in a few milliseconds that way, and
   * in tens through the thread pool.
   */
  listAll(prefix: string): Promise<string[]> {
    return new Promise((resolve) => {
      resolve(this.listAllSync(prefix));
    });
  }

  private listAllSync(prefix: string): string[] {
    const { files, folders } = this.keysIn(prefix, this.readFolderSync(prefix));
    for (const folder of folders) files.push(...this.listAllSync(folder));
    return files;
  }

  /** The keys of the files directly under a prefix, and the prefixes of its subfolders. */
  private async readFolder(prefix: string): Promise<{ files: string[]; folders: string[] }> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.pathOf(listedFolder(prefix).dirKey), { withFileTypes: true });
    } catch (error) {
      return this.keysIn(prefix, missingFolder(error));
    }
    return this.keysIn(prefix, entries);
  }

  private readFolderSync(prefix: string): Dirent[] {
    try {
      return readdirSync(this.pathOf(listedFolder(prefix).dirKey), { withFileTypes: true });
    } catch (error) {
      return missingFolder(error);
    }
  }

  private keysIn(prefix: string, entries: Dirent[]): { files: string[]; folders: string[] } {
    return folderKeys(
      prefix,
      entries.map((e) => ({ name: e.name, isDir: e.isDirectory(), isFile: e.isFile() })),
    );
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void> {
    const target = this.pathOf(key);
    await this.ensureDir(dirname(target));
    const temp = tempNameFor(target);
    try {
      if (md5 === undefined) {
        await copyFile(localPath, temp, fsConstants.COPYFILE_FICLONE);
      } else {
        // Hashed in the copy's own read (see copyHashed), checked before the object appears.
        const actual = await copyHashed(localPath, statSync(localPath).size, temp);
        if (actual !== md5) throw new CorruptSourceError(localPath, actual);
      }
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

  /**
   * Downloads like `download` and returns the md5 of the bytes written, without reading them a
   * second time (see `copyHashed`). `spare`, if given, receives a second copy at the same time,
   * made by the kernel in the thread pool.
   */
  async downloadHashed(
    key: string,
    localPath: string,
    onBytes?: (bytes: number) => void,
    spare?: string,
  ): Promise<string> {
    const source = this.pathOf(key);
    try {
      let size: number;
      try {
        size = statSync(source).size;
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') throw new RemoteNotFoundError(key);
        throw error;
      }
      const copies = [
        copyHashed(source, size, localPath, onBytes),
        spare === undefined
          ? Promise.resolve()
          : copyFile(source, spare, fsConstants.COPYFILE_FICLONE),
      ] as const;
      // Both must have ended before a failure reaches the caller, who removes both files.
      const [hashed, spared] = await Promise.allSettled(copies);
      if (hashed.status === 'rejected') throw hashed.reason;
      if (spared.status === 'rejected') throw spared.reason;
      return hashed.value;
    } catch (error) {
      if (error instanceof RemoteNotFoundError) throw error;
      if (errnoCode(error) === 'ENOENT' && !existsSync(source)) throw new RemoteNotFoundError(key);
      throw translate(error, this.displayUrl, key);
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The folders of the tree under `prefix`, symbolic links not followed, each swept of the
   * temporary files of dead uploads.
   */
  removeDeadTemps(prefix: string): Promise<Reclaimed> {
    const reclaimed = nothingReclaimed();
    const sweep = (dir: string): void => {
      addReclaimed(reclaimed, removeDeadTempsIn(dir, { legacy: true }));
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.isDirectory()) sweep(join(dir, entry.name));
      }
    };
    if (lstatSync(this.pathOf(prefix), { throwIfNoEntry: false })?.isDirectory() === true) {
      sweep(this.pathOf(prefix));
    }
    return Promise.resolve(reclaimed);
  }

  /** Makes an upload's folder, once, and sweeps it of what killed uploads left there. */
  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
    addReclaimed(this.reclaimed, removeDeadTempsIn(dir, { legacy: true }));
  }
}

/** Objects from this size on are copied by the kernel while this thread hashes the source. */
const PARALLEL_HASH_SIZE = 16 * BLOCK_SIZE;

/**
 * Copies `source` (of `size` bytes) to `target` and returns the md5 of the bytes copied, read
 * once:
 * - a small object is copied in the thread pool (creating files is what takes time, and there
 *   they are created side by side), then read back once;
 * - a middling one is copied through this process, each block hashed between its read and its
 *   write;
 * - a large one is copied by the kernel while this thread hashes the source, on another core:
 *   hashing in the copy loop put the two one after the other (a 1 GiB object: about 1.5 s of
 *   hashing, and as long again of copying).
 */
async function copyHashed(
  source: string,
  size: number,
  target: string,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  if (size <= BLOCK_SIZE) {
    await copyFile(source, target, fsConstants.COPYFILE_FICLONE);
    const hash = md5FileSync(target);
    onBytes?.(size);
    return hash;
  }
  if (size >= PARALLEL_HASH_SIZE) return copyWhileHashing(source, target, onBytes);
  const input = await open(source, 'r');
  try {
    return await copyHashing(input, target, onBytes);
  } finally {
    await input.close();
  }
}

/**
 * Copies `source` to `target` and returns the md5 of the source, read while the copy runs. The
 * remote's objects are written once under their final name and never changed in place, so the
 * bytes hashed are the bytes copied; the copy's size is checked as well.
 */
async function copyWhileHashing(
  source: string,
  target: string,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  const hashing = md5File(source, 'md5', onBytes);
  const copying = copyFile(source, target, fsConstants.COPYFILE_FICLONE);
  // The copy must have ended before a failure reaches the caller, who removes the target.
  for (const outcome of await Promise.allSettled([hashing, copying])) {
    if (outcome.status === 'rejected') throw outcome.reason;
  }
  const [from, to] = await Promise.all([stat(source), stat(target)]);
  if (from.size !== to.size) {
    throw new Error(`copied ${to.size} of the ${from.size} bytes of '${source}'`);
  }
  return hashing;
}

/** Copies an open file to `target` (created or truncated) and returns the md5 of its bytes. */
async function copyHashing(
  input: FileHandle,
  target: string,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  const hash = createHash('md5');
  // Three blocks: one being read, one being hashed, one being written.
  const blocks = [0, 1, 2].map(() => Buffer.allocUnsafe(BLOCK_SIZE));
  const output = await open(target, 'w');
  let writing: Promise<unknown> = Promise.resolve();
  let reading = input.read(blocks[0], 0, BLOCK_SIZE, 0);
  try {
    let position = 0;
    for (let turn = 0; ; turn += 1) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      const at = position;
      position += bytesRead;
      reading = input.read(blocks[(turn + 1) % 3], 0, BLOCK_SIZE, position);
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      // The read just started fills the block written two turns ago, whose write was awaited
      // on the last turn; the block written last turn is free once `writing` settles.
      await writing;
      writing = writeAll(output, chunk, at);
      onBytes?.(bytesRead);
    }
    await writing;
  } catch (error) {
    // Nothing may still be reading or writing when the files are closed.
    await Promise.allSettled([reading, writing]);
    throw error;
  } finally {
    await output.close();
  }
  return hash.digest('hex');
}

async function writeAll(output: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await output.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
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
