import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SluiceError } from '../../1-base/errors.js';
import type { RemoteConfig } from '../storage.js';

/**
 * Helpers shared by the network backends (S3, SSH, HTTP, WebDAV, Azure, GCS): reading config
 * options, joining keys under the remote's root, streaming a body into a file with progress, and
 * turning network failures into one clear `SluiceError('REMOTE')` that never carries a secret.
 */

/** A string option of the remote's config section ('' counts as unset). */
export function option(config: RemoteConfig, key: string): string | undefined {
  const value = config[key];
  if (typeof value !== 'string' || value === '') return undefined;
  return value;
}

/** A boolean option as DVC's config accepts it (true/false, yes/no, 1/0, on/off). */
export function boolOption(config: RemoteConfig, key: string, fallback: boolean): boolean {
  const value = option(config, key)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  return fallback;
}

/** An integer option, or `fallback` when unset or not a number. */
export function intOption(config: RemoteConfig, key: string, fallback: number): number {
  const value = Number(option(config, key));
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** `root` + `/` + `key` without doubled or leading slashes (object-store style keys). */
export function joinKey(root: string, key: string): string {
  const cleanRoot = root.replace(/^\/+|\/+$/g, '');
  const cleanKey = key.replace(/^\/+/, '');
  if (cleanRoot === '') return cleanKey;
  if (cleanKey === '') return `${cleanRoot}/`;
  return `${cleanRoot}/${cleanKey}`;
}

/** One entry of a folder, as a folder-based backend (local, SSH, WebDAV) reads it. */
export interface FolderEntry {
  name: string;
  isDir: boolean;
  isFile: boolean;
}

/**
 * How a folder-based backend lists `prefix`, which is folder-like (`files/md5/ac/`) or ends in a
 * partial name (`files/md5/0`): the folder to read, and the name prefix its entries must have.
 */
export function listedFolder(prefix: string): { dirKey: string; namePrefix: string } {
  const slash = prefix.lastIndexOf('/');
  return {
    dirKey: slash === -1 ? '' : prefix.slice(0, slash + 1),
    namePrefix: prefix.slice(slash + 1),
  };
}

/**
 * The keys of the files of a folder read for a listing, and the prefixes of its subfolders to
 * list next. Temporary names of uploads in progress are never objects.
 */
export function folderKeys(
  prefix: string,
  entries: Iterable<FolderEntry>,
): { files: string[]; folders: string[] } {
  const { dirKey, namePrefix } = listedFolder(prefix);
  const files: string[] = [];
  const folders: string[] = [];
  for (const { name, isDir, isFile } of entries) {
    if (!name.startsWith(namePrefix)) continue;
    if (name.startsWith('.') && name.endsWith('.tmp')) continue;
    if (isDir) folders.push(`${dirKey}${name}/`);
    else if (isFile) files.push(dirKey + name);
  }
  return { files, folders };
}

/** The key relative to `root`, for listings that return full object names. */
export function stripRoot(root: string, fullKey: string): string {
  const cleanRoot = root.replace(/^\/+|\/+$/g, '');
  if (cleanRoot === '') return fullKey;
  return fullKey.startsWith(`${cleanRoot}/`) ? fullKey.slice(cleanRoot.length + 1) : fullKey;
}

/**
 * Streams `body` into `localPath`, reporting bytes as they arrive, and answers the md5 of what
 * was written (so a download need not be read again to be verified).
 */
export async function streamToFile(
  body: Readable | NodeJS.ReadableStream,
  localPath: string,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  const digest = createHash('md5');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digest.update(chunk);
      onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  await pipeline(body, hashing, createWriteStream(localPath));
  return digest.digest('hex');
}

/** A property of an unknown error object, when it is a string or number. */
export function errorField(error: unknown, field: string): string | number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** The errno-like code of an error or of its `cause` chain (fetch wraps them). */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const code = errorField(current, 'code');
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (typeof current !== 'object') break;
    current = (current as { cause?: unknown }).cause;
    // AggregateError (happy eyeballs) keeps the real failures in `errors`.
    const errors = (current as { errors?: unknown } | undefined)?.errors;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0] as unknown;
  }
  return undefined;
}

/** An unreachable host, as one clear error. */
export function unreachable(displayUrl: string, error: unknown): SluiceError {
  return new SluiceError(
    'REMOTE',
    `cannot connect to remote '${displayUrl}' (${networkCode(error) ?? 'network error'})`,
    { hint: 'check the URL, the port and that the server is running', cause: error },
  );
}

/**
 * Wrong or missing credentials, as one clear error that never contains the secret. The SDK's
 * error is left out on purpose: some carry the signed request (headers, tokens) in their fields.
 */
export function authFailed(displayUrl: string, hint: string, detail?: string): SluiceError {
  const suffix = detail === undefined ? '' : ` (${detail})`;
  return new RemoteAccessError(`authentication failed for remote '${displayUrl}'${suffix}`, hint);
}

/** The remote refused a request (HTTP 403): one clear error, with what to check. */
export function accessDenied(displayUrl: string, key: string, hint: string): SluiceError {
  return new RemoteAccessError(`access denied on remote '${displayUrl}' for '${key}'`, hint);
}

/**
 * Refused credentials or access: every other object of the transfer would fail the same way, so
 * the sync engine stops at the first rather than reporting each object (see 9-ops/remote/upload.ts
 * and download.ts).
 */
export class RemoteAccessError extends SluiceError {
  constructor(message: string, hint: string) {
    super('REMOTE', message, { hint });
    this.name = 'RemoteAccessError';
  }
}

/**
 * Removes anything that looks like a secret from a server's message before it is shown: the
 * values of the config options that hold secrets, and `user:password@` in URLs.
 */
export function scrub(message: string, secrets: readonly (string | undefined)[]): string {
  let text = message.replace(/(\/\/[^/:@\s]*):[^/@\s]*@/g, '$1:***@');
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) text = text.split(secret).join('***');
  }
  return text;
}

/** A short reason from an unknown error, scrubbed of secrets. */
export function reasonOf(error: unknown, secrets: readonly (string | undefined)[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? '';
  return scrub(firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine, secrets);
}
