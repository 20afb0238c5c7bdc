import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { SluiceError } from '../../../1-base/errors.js';
import { md5Bytes } from '../../../3-objects/hashFile.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type ObjectInfo,
  type RemoteConfig,
  type RemoteStorage,
} from '../../storage.js';
import { s3Capabilities } from './capabilities.js';
import { S3Rest, S3ServiceError, serviceError, type ListPage, type S3Location } from './s3Rest.js';
import { nonEmpty, resolveS3Identity, type S3Identity } from './s3Credentials.js';
import { checkBytes, corruptSourceIn, verifiedReadStream } from '../../verifiedUpload.js';
import {
  accessDenied,
  authFailed,
  boolOption,
  errorField,
  joinKey,
  networkCode,
  option,
  reasonOf,
  stripRoot,
  streamToFile,
  unreachable,
} from '../shared.js';

/** Files up to this size go in one PUT; larger ones as a multipart upload. */
const SINGLE_PUT_LIMIT = 16 * 1024 * 1024;
/** Objects up to this size are read and written with one synchronous call. */
const SMALL_OBJECT = 1024 * 1024;
const PART_SIZE = 16 * 1024 * 1024;

/**
 * An S3 (or S3-compatible: MinIO, Ceph, R2…) bucket. Credentials come from the remote's config,
 * the AWS environment variables or the AWS SDK's provider chain (see `resolveS3Identity`).
 *
 * Requests go through `S3Rest` (signed REST calls over keep-alive sockets); the AWS SDK is
 * loaded only for the multipart upload of a file over 16 MiB.
 */
export class S3Storage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = s3Capabilities;
  private readonly rest: S3Rest;
  private sdkClient: ClientS3.S3Client | undefined;

  constructor(
    private readonly location: S3Location & { upload: UploadOptions },
    private readonly root: string,
    url: string,
    private readonly identity: S3Identity,
  ) {
    this.displayUrl = maskUrl(url);
    this.rest = new S3Rest(location);
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.page(prefix, token);
      yield* page.keys;
      token = page.nextToken;
    } while (token !== undefined);
  }

  /** Every key under `prefix` in one array: for 10,000 keys, cheaper than iterating them. */
  async listAll(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.page(prefix, token);
      for (const key of page.keys) keys.push(key);
      token = page.nextToken;
    } while (token !== undefined);
    return keys;
  }

  /** One page of the listing, keys relative to the root, without folder markers. */
  private async page(prefix: string, token: string | undefined): Promise<ListPage> {
    const page = await this.call(prefix, () =>
      this.rest.listPage(joinKey(this.root, prefix), token),
    );
    const keys: string[] = [];
    for (const key of page.keys) if (!key.endsWith('/')) keys.push(stripRoot(this.root, key));
    return { keys, nextToken: page.nextToken };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async info(key: string): Promise<ObjectInfo | undefined> {
    const head = await this.head(key);
    if (head === undefined) return undefined;
    const etag = head.headers.etag;
    return {
      size: Number(head.headers['content-length'] ?? 0),
      ...(etag === undefined ? {} : { etag }),
    };
  }

  async upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void> {
    // Small files are read synchronously: through the thread pool, opening, statting, reading
    // and closing 10,000 files of 4 KiB cost more than the requests that send them.
    const { size } = statSync(localPath);
    const target = this.keyOf(key);
    if (size <= SINGLE_PUT_LIMIT) {
      // One PUT is atomic: the object appears only when the request completes.
      const body = size <= SMALL_OBJECT ? readFileSync(localPath) : await readFile(localPath);
      checkBytes(body, md5, localPath);
      await this.call(key, async () => {
        const response = await this.rest.send('PUT', target, {
          body,
          headers: { 'content-type': 'application/octet-stream', ...this.uploadHeaders() },
        });
        this.rest.check(response, key);
      });
      onBytes?.(size);
      return;
    }
    // A multipart upload is invisible until CompleteMultipartUpload.
    const { Upload } = requireFromHere('@aws-sdk/lib-storage') as typeof LibStorage;
    const upload = new Upload({
      client: this.sdk(),
      params: {
        Bucket: this.location.bucket,
        Key: target,
        // A body that does not hash to its name fails before its last part is sent.
        Body: verifiedReadStream(localPath, md5),
        ...this.uploadParams(),
      },
      partSize: PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
    });
    let reported = 0;
    if (onBytes !== undefined) {
      upload.on('httpUploadProgress', (progress) => {
        const loaded = progress.loaded ?? 0;
        if (loaded > reported) {
          onBytes(loaded - reported);
          reported = loaded;
        }
      });
    }
    // The SDK repeats failed parts itself; the upload cannot be started over from here.
    try {
      await upload.done();
    } catch (error) {
      throw this.translate(error, key);
    }
    if (onBytes !== undefined && reported < size) onBytes(size - reported);
  }

  async download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    await this.downloadHashed(key, localPath, onBytes);
  }

  /** Downloads an object and answers the md5 of the bytes written, hashed as they arrive. */
  async downloadHashed(
    key: string,
    localPath: string,
    onBytes?: (bytes: number) => void,
  ): Promise<string> {
    return this.call(key, async () => {
      const response = await this.rest.open('GET', this.keyOf(key));
      const status = response.statusCode ?? 0;
      const length = Number(response.headers['content-length'] ?? Number.NaN);
      if (status !== 200 || length <= SMALL_OBJECT) {
        const answer = await this.rest.read(response);
        if (status !== 200) {
          const error = serviceError(answer, key);
          if (error.code === 'NoSuchKey' || (status === 404 && error.code !== 'NoSuchBucket')) {
            throw new RemoteNotFoundError(key);
          }
          throw error;
        }
        // As in upload: a small object is written with one synchronous call.
        writeFileSync(localPath, answer.body);
        onBytes?.(answer.body.length);
        return md5Bytes(answer.body);
      }
      return streamToFile(response, localPath, onBytes);
    });
  }

  async delete(key: string): Promise<void> {
    await this.call(key, async () => {
      const response = await this.rest.send('DELETE', this.keyOf(key));
      // Deleting what is not there is not an error (S3 itself answers 204).
      if (response.status !== 404) this.rest.check(response, key);
    });
  }

  close(): Promise<void> {
    this.rest.close();
    this.sdkClient?.destroy();
    return Promise.resolve();
  }

  /** DVC's `sse`, `sse_kms_key_id` and `acl` options, as the headers of a PUT. */
  private uploadHeaders(): Record<string, string> {
    const { sse, sseKmsKeyId, acl } = this.location.upload;
    const headers: Record<string, string> = {};
    if (sse !== undefined) headers['x-amz-server-side-encryption'] = sse;
    if (sseKmsKeyId !== undefined) {
      headers['x-amz-server-side-encryption-aws-kms-key-id'] = sseKmsKeyId;
    }
    if (acl !== undefined) headers['x-amz-acl'] = acl;
    return headers;
  }

  /** The same options as parameters of the SDK's multipart upload. */
  private uploadParams(): Partial<ClientS3.PutObjectCommandInput> {
    const { sse, sseKmsKeyId, acl } = this.location.upload;
    return {
      ...(sse === undefined ? {} : { ServerSideEncryption: sse as ClientS3.ServerSideEncryption }),
      ...(sseKmsKeyId === undefined ? {} : { SSEKMSKeyId: sseKmsKeyId }),
      ...(acl === undefined ? {} : { ACL: acl as ClientS3.ObjectCannedACL }),
    };
  }

  /** HEAD of an object: its answer, or undefined when the object does not exist. */
  private async head(
    key: string,
  ): Promise<{ headers: Record<string, string | undefined> } | undefined> {
    // The answer is checked inside `call`, so that a refusal (403, no body to a HEAD) is
    // translated like any other failure.
    const response = await this.call(key, async () => {
      const answer = await this.rest.send('HEAD', this.keyOf(key));
      if (answer.status !== 404) this.rest.check(answer, key);
      return answer;
    });
    if (response.status === 404) return undefined;
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      headers[name] = Array.isArray(value) ? value[0] : value;
    }
    return { headers };
  }

  /** The AWS SDK client, created on first use (only multipart uploads need it). */
  private sdk(): ClientS3.S3Client {
    if (this.sdkClient === undefined) {
      // The SDK prints a multi-line "Node 20 support ends" notice on stderr in the middle of
      // our output; the engines field already states which Node versions Sluice supports.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      // Loaded with require: imported from ESM, its CommonJS build is first scanned for the
      // names it exports, which took ~50 ms here.
      const sdk = requireFromHere('@aws-sdk/client-s3') as typeof ClientS3;
      const { endpoint, pathStyle, region, credentials } = this.location;
      this.sdkClient = new sdk.S3Client({
        region,
        credentials,
        endpoint,
        forcePathStyle: pathStyle,
        // Without these, a streamed body is sent with aws-chunked framing that some
        // S3-compatible servers store as data; checksums are not what makes objects safe here
        // (the hash is).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 5,
      });
    }
    return this.sdkClient;
  }

  private keyOf(key: string): string {
    return joinKey(this.root, key);
  }

  /**
   * Runs one request, again after a short pause when it failed in a way that may pass (a
   * dropped or refused connection, a timeout, a busy or failing server), then turns a failure
   * into a clear error. Every request here may be repeated: GET, HEAD, DELETE and listing
   * change nothing, a PUT sends the whole object again, a download rewrites its file.
   */
  private async call<T>(key: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= ATTEMPTS || !isTransient(error)) throw this.translate(error, key);
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  private translate(error: unknown, key: string): unknown {
    if (error instanceof SluiceError || error instanceof RemoteNotFoundError) return error;
    const corrupt = corruptSourceIn(error);
    if (corrupt !== undefined) return corrupt;
    if (networkCode(error) !== undefined) return unreachable(this.displayUrl, error);
    const name = String(errorField(error, 'name') ?? errorField(error, 'Code') ?? '');
    const status = httpStatus(error);
    if (
      name === 'InvalidAccessKeyId' ||
      name === 'SignatureDoesNotMatch' ||
      name === 'InvalidToken' ||
      name === 'ExpiredToken' ||
      name === 'CredentialsProviderError'
    ) {
      return authFailed(
        this.displayUrl,
        'check access_key_id / secret_access_key (sluice remote modify --local), the profile or the AWS_* environment variables',
        name,
      );
    }
    if (name === 'NoSuchBucket') {
      return new SluiceError('REMOTE', `bucket '${this.location.bucket}' does not exist`, {
        hint: `create it first, or fix the url of remote '${this.displayUrl}'`,
      });
    }
    if (name === 'AccessDenied' || status === 403) {
      return accessDenied(
        this.displayUrl,
        key,
        'check the credentials (access_key_id / secret_access_key, the profile or the AWS_* environment variables) and the bucket policy',
      );
    }
    const seen = this.identity.lastSeen();
    const secrets = [seen?.secretAccessKey, seen?.sessionToken];
    return new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}': ${name === '' ? 'error' : name}: ${reasonOf(error, secrets)}`,
      { hint: 'run the command again; transient errors are retried' },
    );
  }
}

const requireFromHere = createRequire(import.meta.url);

/** How uploaded objects are stored: encryption and canned ACL, as DVC's options name them. */
interface UploadOptions {
  sse?: string;
  sseKmsKeyId?: string;
  acl?: string;
}

/** Tries of one request before its failure is reported (the sync engine adds its own). */
const ATTEMPTS = 4;

/** Service answers that mean "later", as the AWS SDKs retry them. */
const TRANSIENT_CODES = new Set([
  'SlowDown',
  'RequestTimeout',
  'InternalError',
  'ServiceUnavailable',
]);

function isTransient(error: unknown): boolean {
  if (networkCode(error) !== undefined) return true;
  if (!(error instanceof S3ServiceError)) return false;
  return error.status >= 500 || error.status === 429 || TRANSIENT_CODES.has(error.code);
}

function httpStatus(error: unknown): number | undefined {
  if (error instanceof S3ServiceError) return error.status;
  if (typeof error !== 'object' || error === null) return undefined;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return meta?.httpStatusCode;
}

/** `s3://bucket/path`. */
export async function createS3Storage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  const bucket = match?.[1];
  if (match === null || bucket === undefined || bucket === '') {
    throw new SluiceError('CONFIG', `invalid S3 URL '${maskUrl(url)}'`, {
      hint: 'use s3://bucket/path',
    });
  }
  const resolved = await resolveS3Identity(config, maskUrl(url));
  // DVC's `endpointurl`, else the variables the AWS tools read, else AWS itself.
  let endpoint =
    option(config, 'endpointurl') ??
    nonEmpty(process.env.AWS_ENDPOINT_URL_S3) ??
    nonEmpty(process.env.AWS_ENDPOINT_URL);
  if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint)) {
    endpoint = `${boolOption(config, 'use_ssl', true) ? 'https' : 'http'}://${endpoint}`;
  }
  const region =
    option(config, 'region') ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    resolved.region ??
    'us-east-1';
  const location: S3Location = {
    endpoint: (endpoint ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, ''),
    bucket,
    // Custom endpoints (MinIO and friends) rarely have per-bucket DNS names; on AWS a bucket
    // whose name is not a valid host label (dots break the TLS certificate) is addressed by path.
    pathStyle: endpoint !== undefined || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket),
    region,
    credentials: resolved.credentials,
    verifyTls: boolOption(config, 'ssl_verify', true),
  };
  const upload: UploadOptions = {};
  const sse = option(config, 'sse');
  const sseKmsKeyId = option(config, 'sse_kms_key_id');
  const acl = option(config, 'acl');
  if (sse !== undefined) upload.sse = sse;
  if (sseKmsKeyId !== undefined) upload.sseKmsKeyId = sseKmsKeyId;
  if (acl !== undefined) upload.acl = acl;
  return new S3Storage({ ...location, upload }, match[2] ?? '', url, resolved);
}
