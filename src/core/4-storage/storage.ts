import type { Reclaimed } from '../2-fs/tempFiles.js';

/**
 * The one interface every remote backend implements (local folder, S3, SSH, HTTP/WebDAV, Azure,
 * GCS). Keys are POSIX paths relative to the remote's root, e.g. `files/md5/ac/bd18db…`.
 * Backends are loaded lazily by scheme (see registry.ts), so a repo that never uses S3 never
 * loads the AWS SDK.
 */
export interface RemoteStorage {
  /** The remote's URL with any password masked, for messages. */
  readonly displayUrl: string;
  readonly capabilities: StorageCapabilities;

  /** Every key under `prefix` (a folder-like prefix such as `files/md5/ac/`, or '' for all). */
  list(prefix: string): AsyncIterable<string>;

  exists(key: string): Promise<boolean>;

  /**
   * Uploads a local file. The object must never be visible under `key` until it is complete
   * (temporary name + rename, or an atomic object-store PUT / multipart completion).
   * Given `md5`, the bytes are hashed as they are read for sending (see verifiedUpload.ts) and a
   * file that does not hash to it is not uploaded: the call throws a CorruptSourceError.
   */
  upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void>;

  /**
   * Downloads `key` into `localPath` (the caller passes a temporary path, verifies the hash and
   * renames). Throws `RemoteNotFoundError` when the object does not exist.
   */
  download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void>;

  delete(key: string): Promise<void>;

  /**
   * Size and checksum of one object, for `import-url` (optional: only the object stores that
   * DVC records an ETag for implement it). Undefined when the object does not exist.
   */
  info?(key: string): Promise<ObjectInfo | undefined>;

  /**
   * Every key under `prefix` in one array (optional): where handing 10,000 keys one by one
   * through an async iterator costs more than the listing itself (a local folder, an S3
   * bucket), the sync engine asks for the whole listing at once.
   */
  listAll?(prefix: string): Promise<string[]>;

  /**
   * Downloads like `download` and answers the md5 of the bytes written, hashed in the same pass
   * (optional; the caller still compares it with the object's id). Given a `spare` path, a
   * backend may write the same bytes there too when it can do so on the side (the local one
   * does, in the thread pool); the caller looks for the file.
   */
  downloadHashed?(
    key: string,
    localPath: string,
    onBytes?: (bytes: number) => void,
    spare?: string,
  ): Promise<string>;

  /**
   * Removes what killed uploads left under `prefix` and below: temporary files (named by
   * `tempNameFor`) whose owner is gone. Only backends that upload under a temporary name and
   * rename have any (local folder, SSH, WebDAV); object stores (S3, GCS, Azure) write an object
   * atomically in one PUT or a multipart completion, and leave none.
   */
  removeDeadTemps?(prefix: string): Promise<Reclaimed>;

  /** What uploads have removed so far, sweeping the folders they wrote into (see above). */
  readonly reclaimed?: Reclaimed;

  /** Releases connections. */
  close(): Promise<void>;
}

export interface StorageCapabilities {
  /** Can the backend list keys? (plain HTTP cannot) */
  canList: boolean;
  /** DVC's prefix length for estimating remote size: 2 for local/ssh, 3 for object stores. */
  listPrefixLength: 2 | 3;
  /** Default number of parallel transfers. */
  defaultJobs: number;
}

/**
 * One kind of storage, declared by its folder `backends/<name>/index.ts`: the registry, the
 * config's validation, `sluice version` and `import-url` read these declarations and keep no
 * list of their own. The implementation (and its SDK) is loaded only when `open` is called.
 */
export interface StorageBackend {
  /** The folder's name: `local`, `s3`, … */
  readonly name: string;
  /**
   * The URL schemes it opens, in the order `sluice version` lists them. `local` stands for a
   * plain path or a `file://` URL (see `schemeOf`).
   */
  readonly schemes: readonly string[];
  /**
   * The options DVC accepts in a `['remote "name"']` section of this kind, besides
   * `REMOTE_COMMON_OPTIONS` (dvc/config_schema.py).
   */
  readonly options: RemoteOptionSchema;
  /** What every storage of this kind can do (the instances answer the same object). */
  readonly capabilities: StorageCapabilities;
  /** How `import-url` reads a source of this kind; absent when it cannot. */
  readonly importUrl?: ImportRule;
  /** Loads the implementation and opens a storage for a URL of one of `schemes`. */
  readonly open: StorageFactory;
}

/**
 * How `import-url` reads a source and what it records in the dep:
 * - `path`: a local file or folder, hashed where it is (md5);
 * - `get`: one HTTP GET, whose ETag (or Content-MD5) header is recorded as `checksum`;
 * - `storage` with `md5`: the objects are read through the storage and their md5 recorded;
 * - `storage` with `etag`: the object store's ETag is recorded as `etag`, as DVC writes it
 *   (`recordedEtag`), so no download is needed to know whether the source changed.
 */
export type ImportRule =
  | { readonly source: 'path' }
  | { readonly source: 'get' }
  | { readonly source: 'storage'; readonly checksum: 'md5' }
  | {
      readonly source: 'storage';
      readonly checksum: 'etag';
      readonly recordedEtag: (etag: string) => string;
    };

/**
 * The type of one option, as DVC's config schema checks it (the config turns these into its
 * checks, see 6-repo/config/schema.ts): a string, a `true`/`false`, an integer or a float (at
 * least `min`), one of a few words, a list of link types; `pythonBool`/`pythonInt` are options
 * DVC's schema types as a Python value, which no value read from a config file is.
 */
export type OptionType =
  | 'str'
  | 'bool'
  | 'cacheType'
  | 'pythonBool'
  | 'pythonInt'
  | { readonly int: { readonly min?: number } }
  | { readonly float: { readonly min?: number } }
  | { readonly oneOf: readonly string[] };

export type RemoteOptionSchema = Readonly<Record<string, OptionType>>;

/** The options every remote accepts, whatever its kind. */
export const REMOTE_COMMON_OPTIONS: RemoteOptionSchema = {
  url: 'str',
  checksum_jobs: { int: { min: 1 } },
  jobs: { int: { min: 1 } },
  worktree: 'bool',
  no_traverse: 'bool',
  version_aware: 'bool',
};

/** What an object store says about one object. */
export interface ObjectInfo {
  size: number;
  /** The ETag exactly as the service sends it (S3 and Azure quote it, GCS sends base64). */
  etag?: string;
}

/** Options of a `['remote "name"']` section (url, endpointurl, keyfile, user, password, …). */
export type RemoteConfig = Readonly<Record<string, string | string[]>>;

/** Creates a backend for a URL of its scheme. */
export type StorageFactory = (url: string, config: RemoteConfig) => Promise<RemoteStorage>;

export class RemoteNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`'${key}' does not exist on the remote`);
    this.name = 'RemoteNotFoundError';
  }
}

/** Schemes whose user name is an account on the host, never a token: it stays visible. */
const ACCOUNT_SCHEMES = /^(ssh|sftp|scp):/i;

/**
 * A URL with its secrets replaced by `***`, for messages and listings: the password
 * (`ssh://user:***@host`), a user name that stands alone outside SSH (`https://***@host`: a
 * token, as git hosts take them), and every value of the query (`?X-Amz-Signature=***`).
 *
 * Written for URLs as users type them, unescaped characters included: a password holding `@`,
 * `/`, `?` or `#` is masked whole. Where the text cannot say whether an `@` ends the
 * credentials or sits in the path (`u:p@host/files/me@example.com`), the credentials are taken
 * to run to the last `@`: a path shown short rather than a password shown. A user name alone
 * that holds `/` or `?` (`https://to/ken@host`) reads as a host and path, and is not masked.
 */
export function maskUrl(url: string): string {
  const scheme = /^[a-z][\w+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return url;
  let rest = url.slice(scheme.length);
  let shown = scheme;
  const end = credentialsEnd(rest);
  if (end !== -1) {
    const credentials = rest.slice(0, end);
    const colon = credentials.indexOf(':');
    if (colon !== -1) shown += `${credentials.slice(0, colon)}:***@`;
    else shown += ACCOUNT_SCHEMES.test(scheme) ? `${credentials}@` : '***@';
    rest = rest.slice(end + 1);
  }
  return shown + maskQuery(rest);
}

/** Where the credentials of `rest` (a URL after `scheme://`) end: their `@`, or -1 for none. */
function credentialsEnd(rest: string): number {
  const last = rest.lastIndexOf('@');
  if (last === -1) return -1;
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  if (authority.includes('@')) return last;
  // No `@` before the first `/`, `?` or `#`: either there are no credentials (`s3://b/v@2`), or
  // a password holds one of those (`user:pa/ss@host`, `user:12/34@host`), which a `:` in what
  // looks like the host tells. A port before an `@` in the path (`host:80/me@mail`) reads the
  // same, and is masked too.
  const host = authority.startsWith('[') ? authority.slice(authority.indexOf(']') + 1) : authority;
  return host.includes(':') ? last : -1;
}

/** `host/path?key=value&flag` -> `host/path?key=***&***`: any value may be a signature. */
function maskQuery(rest: string): string {
  const question = rest.indexOf('?');
  if (question === -1) return rest;
  const hash = rest.indexOf('#', question);
  const query = rest.slice(question + 1, hash === -1 ? undefined : hash);
  const masked = query
    .split('&')
    .map((pair) => {
      if (pair === '') return pair;
      const equals = pair.indexOf('=');
      return equals === -1 ? '***' : `${pair.slice(0, equals)}=***`;
    })
    .join('&');
  return `${rest.slice(0, question)}?${masked}${hash === -1 ? '' : rest.slice(hash)}`;
}
