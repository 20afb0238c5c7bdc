import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { SluiceError } from '../../../1-base/errors.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type RemoteConfig,
  type RemoteStorage,
} from '../../storage.js';
import { httpCapabilities } from './capabilities.js';
import {
  authFailed,
  intOption,
  networkCode,
  option,
  streamToFile,
  unreachable,
} from '../shared.js';
import { checkBytes, corruptSourceIn, verifiedReadStream } from '../../verifiedUpload.js';

/** What `fetch` accepts as a request body. */
type BodyInit = NonNullable<RequestInit['body']>;

/** Files up to this size are sent as one buffer (with Content-Length); larger ones streamed. */
const BUFFERED_UPLOAD_LIMIT = 16 * 1024 * 1024;

/**
 * A plain HTTP(S) server: GET to download, HEAD to probe, POST (DVC's default `method`) or PUT to
 * upload, DELETE to remove. HTTP has no listing, so `capabilities.canList` is false and the sync
 * engine probes each object with HEAD. Atomicity of uploads is up to the server (Apache's
 * mod_dav writes to a temporary file and renames).
 */
export class HttpStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = httpCapabilities;

  constructor(
    private readonly base: string,
    url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly method: string,
    private readonly timeoutMs: number,
  ) {
    this.displayUrl = maskUrl(url);
  }

  urlOf(key: string): string {
    const path = key
      .split('/')
      .filter((p) => p !== '')
      .map((p) => encodeURIComponent(p))
      .join('/');
    return `${this.base.replace(/\/+$/, '')}/${path}`;
  }

  /** HTTP has no listing; the sync engine checks `capabilities.canList` first. */
  list(_prefix: string): AsyncIterable<string> {
    const error = new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}' (HTTP) cannot list its files`,
      { hint: 'use a WebDAV remote (webdav://) for listing' },
    );
    return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) };
  }

  async exists(key: string): Promise<boolean> {
    const response = await this.request('HEAD', key);
    if (response.status === 404 || response.status === 410) return false;
    this.check(response, key);
    return true;
  }

  async upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void> {
    const { size } = await stat(localPath);
    let body: BodyInit;
    let counted = false;
    if (size <= BUFFERED_UPLOAD_LIMIT) {
      const bytes = await readFile(localPath);
      checkBytes(bytes, md5, localPath);
      body = bytes;
    } else {
      // A body that does not hash to its name fails before its last bytes are sent.
      const stream = verifiedReadStream(localPath, md5);
      if (onBytes !== undefined) {
        counted = true;
        stream.on('data', (chunk: Buffer) => onBytes(chunk.length));
      }
      body = Readable.toWeb(stream);
    }
    const response = await this.request(this.method, key, {
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await response.body?.cancel();
    this.check(response, key);
    if (onBytes !== undefined && !counted) onBytes(size);
  }

  async download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    const response = await this.request('GET', key);
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new RemoteNotFoundError(key);
    }
    this.check(response, key);
    if (response.body === null) throw new RemoteNotFoundError(key);
    await streamToFile(Readable.fromWeb(response.body), localPath, onBytes);
  }

  async delete(key: string): Promise<void> {
    const response = await this.request('DELETE', key);
    await response.body?.cancel();
    if (response.status === 404) return;
    this.check(response, key);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async request(
    method: string,
    key: string,
    init: { body?: BodyInit; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const requestInit: RequestInit & { duplex?: 'half' } = {
      method,
      headers: { ...this.headers, ...init.headers },
      signal: AbortSignal.timeout(this.timeoutMs),
    };
    if (init.body !== undefined) {
      requestInit.body = init.body;
      // Node's fetch needs this for a streamed request body.
      requestInit.duplex = 'half';
    }
    try {
      return await fetch(this.urlOf(key), requestInit);
    } catch (error) {
      const corrupt = corruptSourceIn(error);
      if (corrupt !== undefined) throw corrupt;
      if (networkCode(error) !== undefined) throw unreachable(this.displayUrl, error);
      throw new SluiceError(
        'REMOTE',
        `${method} '${key}' on remote '${this.displayUrl}' failed: ${describeFetchError(error)}`,
        { hint: 'run the command again; transient errors are retried', cause: error },
      );
    }
  }

  private check(response: Response, key: string): void {
    if (response.ok) return;
    if (response.status === 401) {
      throw authFailed(
        this.displayUrl,
        'check user/password (or custom_auth_header/password) with `sluice remote modify --local`',
        'HTTP 401',
      );
    }
    if (response.status === 403) {
      throw new SluiceError(
        'REMOTE',
        `access denied on remote '${this.displayUrl}' for '${key}' (HTTP 403)`,
        { hint: 'check the credentials and the server permissions' },
      );
    }
    throw new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}' answered HTTP ${response.status} ${response.statusText} for '${key}'`,
      { hint: 'run the command again; transient errors are retried' },
    );
  }
}

/** fetch() says only "fetch failed"; the reason is in its `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** The headers of DVC's `auth` options (basic, custom; digest is not supported). */
export function authHeaders(
  config: RemoteConfig,
  url: string,
  defaultAuth: 'basic' | undefined,
): Record<string, string> {
  const parsed = new URL(url);
  const user =
    option(config, 'user') ??
    (parsed.username === '' ? undefined : decodeURIComponent(parsed.username));
  const password =
    option(config, 'password') ??
    (parsed.password === '' ? undefined : decodeURIComponent(parsed.password));
  const auth = option(config, 'auth') ?? (user !== undefined ? defaultAuth : undefined);
  if (auth === undefined) return {};
  if (auth === 'basic') {
    if (user === undefined) {
      throw new SluiceError(
        'CONFIG',
        `remote '${maskUrl(url)}': auth is basic but no user is set`,
        {
          hint: 'set it with `sluice remote modify --local <name> user <user>`',
        },
      );
    }
    const token = Buffer.from(`${user}:${password ?? ''}`).toString('base64');
    return { authorization: `Basic ${token}` };
  }
  if (auth === 'custom') {
    const header = option(config, 'custom_auth_header');
    if (header === undefined || password === undefined) {
      throw new SluiceError(
        'CONFIG',
        `remote '${maskUrl(url)}': auth is custom but custom_auth_header or password is missing`,
        { hint: 'set both with `sluice remote modify --local`' },
      );
    }
    return { [header.toLowerCase()]: password };
  }
  throw new SluiceError('CONFIG', `remote '${maskUrl(url)}': auth '${auth}' is not supported`, {
    hint: 'use auth basic or custom',
  });
}

/** `http(s)://host/path`. */
export function createHttpStorage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  try {
    const headers = authHeaders(config, url, undefined);
    const parsed = new URL(url);
    // Credentials go in the header, never in the request URL (fetch refuses them there).
    parsed.username = '';
    parsed.password = '';
    const method = (option(config, 'method') ?? 'POST').toUpperCase();
    const timeoutMs = intOption(config, 'read_timeout', 300) * 1000;
    return Promise.resolve(new HttpStorage(parsed.toString(), url, headers, method, timeoutMs));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
