import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { posix } from 'node:path';
import type { FileStat, WebDAVClient } from 'webdav';
import { SluiceError } from '../../../1-base/errors.js';
import { tempBaseName } from '../../../2-fs/atomicWrite.js';
import { maskUrl, type RemoteConfig, type RemoteStorage } from '../../storage.js';
import { webdavCapabilities } from './capabilities.js';
import { authHeaders, HttpStorage } from '../http/httpStorage.js';
import {
  folderKeys,
  listedFolder,
  authFailed,
  errorField,
  intOption,
  networkCode,
  option,
  reasonOf,
  unreachable,
} from '../shared.js';
import { checkBytes, corruptSourceIn, verifiedReadStream } from '../../verifiedUpload.js';

const BUFFERED_UPLOAD_LIMIT = 16 * 1024 * 1024;

/**
 * A WebDAV collection (Apache mod_dav, nginx dav-ext, Nextcloud…). Uploads are PUT to a
 * temporary name beside the final one, then MOVEd over it, so a killed push never leaves a
 * partial object under its final name; folders are made with MKCOL, listings walk PROPFIND
 * Depth 1. Reads (GET/HEAD) and DELETE are plain HTTP and share the HTTP backend.
 */
export class WebdavStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = webdavCapabilities;
  private readonly madeDirs = new Map<string, Promise<void>>();

  constructor(
    private readonly client: WebDAVClient,
    /** The remote's folder on the server, e.g. `/dav/project` (the client is at the origin). */
    private readonly rootPath: string,
    private readonly http: HttpStorage,
    url: string,
    private readonly secrets: readonly (string | undefined)[],
  ) {
    this.displayUrl = maskUrl(url);
  }

  private pathOf(key: string): string {
    return posix.join(this.rootPath, ...key.split('/').filter((p) => p !== ''));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const { dirKey } = listedFolder(prefix);
    let entries: FileStat[];
    try {
      entries = await this.client.getDirectoryContents(this.pathOf(dirKey), { deep: false });
    } catch (error) {
      if (errorField(error, 'status') === 404) return;
      throw this.translate(error, dirKey);
    }
    const { files, folders } = folderKeys(
      prefix,
      entries.map((e) => ({
        name: e.basename,
        isDir: e.type === 'directory',
        isFile: e.type !== 'directory',
      })),
    );
    yield* files;
    for (const folder of folders) yield* this.list(folder);
  }

  exists(key: string): Promise<boolean> {
    return this.http.exists(key);
  }

  async upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void> {
    const target = this.pathOf(key);
    const dir = posix.dirname(target);
    await this.ensureDir(dir);
    const temp = posix.join(dir, tempBaseName(posix.basename(target)));
    const { size } = await stat(localPath);
    try {
      let data: Buffer | Readable;
      if (size <= BUFFERED_UPLOAD_LIMIT) {
        data = await readFile(localPath);
        checkBytes(data, md5, localPath);
      } else {
        // Fails before the end when the bytes do not hash to the name: no rename follows.
        data = verifiedReadStream(localPath, md5);
      }
      await this.client.putFileContents(temp, data, { overwrite: true, contentLength: size });
      await this.client.moveFile(temp, target, { overwrite: true });
    } catch (error) {
      await this.client.deleteFile(temp).catch(() => undefined);
      throw this.translate(error, key);
    }
    onBytes?.(size);
  }

  download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    return this.http.download(key, localPath, onBytes);
  }

  delete(key: string): Promise<void> {
    return this.http.delete(key);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** MKCOL each missing parent, once per folder per session. */
  private ensureDir(dir: string): Promise<void> {
    let pending = this.madeDirs.get(dir);
    if (pending === undefined) {
      pending = this.makeDir(dir);
      this.madeDirs.set(dir, pending);
      pending.catch(() => this.madeDirs.delete(dir));
    }
    return pending;
  }

  private async makeDir(dir: string): Promise<void> {
    if (dir === '/' || dir === '') return;
    const parent = posix.dirname(dir);
    if (parent !== dir) await this.ensureDir(parent);
    try {
      await this.client.createDirectory(dir);
    } catch (error) {
      // 405: it exists already (maybe made by a parallel transfer).
      if (errorField(error, 'status') === 405) return;
      throw this.translate(error, dir);
    }
  }

  private translate(error: unknown, key: string): unknown {
    const corrupt = corruptSourceIn(error);
    if (corrupt !== undefined) return corrupt;
    if (error instanceof SluiceError) return error;
    if (networkCode(error) !== undefined) return unreachable(this.displayUrl, error);
    const status = errorField(error, 'status');
    if (status === 401) {
      return authFailed(
        this.displayUrl,
        'check user/password (or token) with `sluice remote modify --local`',
        'HTTP 401',
      );
    }
    if (status === 403) {
      return new SluiceError(
        'REMOTE',
        `access denied on remote '${this.displayUrl}' for '${key}' (HTTP 403)`,
        { hint: 'check the credentials and the server permissions' },
      );
    }
    return new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}': ${reasonOf(error, this.secrets)} for '${key}'`,
      { hint: 'run the command again; transient errors are retried' },
    );
  }
}

/** `webdav(s)://host/path` (served as `http(s)://host/path`). */
export async function createWebdavStorage(
  url: string,
  config: RemoteConfig,
): Promise<RemoteStorage> {
  const httpUrl = url.replace(/^webdav(s?):\/\//i, 'http$1://');
  const headers = authHeaders(config, httpUrl, 'basic');
  const token = option(config, 'token');
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const parsed = new URL(httpUrl);
  const password =
    option(config, 'password') ??
    (parsed.password === '' ? undefined : decodeURIComponent(parsed.password));
  parsed.username = '';
  parsed.password = '';
  const base = parsed.toString().replace(/\/+$/, '');
  const rootPath = decodeURIComponent(parsed.pathname).replace(/\/+$/, '') || '/';
  const { createClient } = await import('webdav');
  // The client sits at the origin so MKCOL can create the remote's own folder and its parents.
  // Auth is passed as plain headers so the same ones serve the webdav client and fetch.
  const client = createClient(parsed.origin, { headers });
  const timeoutMs = intOption(config, 'timeout', 300) * 1000;
  const http = new HttpStorage(base, url, headers, 'PUT', timeoutMs);
  return new WebdavStorage(client, rootPath, http, url, [password, token]);
}
