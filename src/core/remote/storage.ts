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

/** Replaces the password of a URL (`scheme://user:secret@host`) with `***`. */
export function maskUrl(url: string): string {
  // The last `@` before the path ends the credentials, as URL parsers read it: a password with
  // an unescaped `@` is masked whole.
  return url.replace(/^([a-z][\w+.-]*:\/\/[^/:@]*):[^/]*@/i, '$1:***@');
}
