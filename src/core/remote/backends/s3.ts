import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { SluiceError } from '../../errors.js';
import { md5Bytes } from '../../hash/hashFile.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type ObjectInfo,
  type RemoteConfig,
  type RemoteStorage,
} from '../storage.js';
import {
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
} from './shared.js';

// The SDK is loaded with require: imported from ESM, its CommonJS build is first scanned for
// the names it exports, which took ~50 ms of every S3 command here.
const requireFromHere = createRequire(import.meta.url);
const sdk = requireFromHere('@aws-sdk/client-s3') as typeof ClientS3;

/** Files up to this size go in one PUT; larger ones as a multipart upload. */
const SINGLE_PUT_LIMIT = 16 * 1024 * 1024;
/** Objects up to this size are read and written with one synchronous call. */
const SMALL_OBJECT = 1024 * 1024;
const PART_SIZE = 16 * 1024 * 1024;

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * An S3 (or S3-compatible: MinIO, Ceph, R2…) bucket. Credentials come from the remote's config,
 * the standard AWS environment variables or a profile of the shared credentials file, and
 * nothing else: the SDK's default chain would ask the instance-metadata service
 * (169.254.169.254) when it finds none, which is slow and surprising on a laptop.
 */
export class S3Storage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = { canList: true, listPrefixLength: 3 as const, defaultJobs: 16 };

  constructor(
    private readonly client: ClientS3.S3Client,
    private readonly bucket: string,
    private readonly root: string,
    url: string,
    private readonly secrets: readonly (string | undefined)[],
  ) {
    this.displayUrl = maskUrl(url);
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.call(prefix, () =>
        this.client.send(
          new sdk.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: joinKey(this.root, prefix),
            ContinuationToken: token,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined && !object.Key.endsWith('/')) {
          yield stripRoot(this.root, object.Key);
        }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.translate(error, key);
    }
  }

  async info(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.client.send(
        new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
      return {
        size: head.ContentLength ?? 0,
        ...(head.ETag === undefined ? {} : { etag: head.ETag }),
      };
    } catch (error) {
      if (isNotFound(error) && errorField(error, 'name') !== 'NoSuchBucket') return undefined;
      throw this.translate(error, key);
    }
  }

  async upload(localPath: string, key: string, onBytes?: (bytes: number) => void): Promise<void> {
    // Small files are read synchronously: through the thread pool, opening, statting, reading
    // and closing 10,000 files of 4 KiB cost more than the requests that send them.
    const { size } = statSync(localPath);
    const target = this.keyOf(key);
    if (size <= SINGLE_PUT_LIMIT) {
      // One PUT is atomic: the object appears only when the request completes.
      const body = size <= SMALL_OBJECT ? readFileSync(localPath) : await readFile(localPath);
      await this.call(key, () =>
        this.client.send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: target,
            Body: body,
            ContentLength: size,
          }),
        ),
      );
      onBytes?.(size);
      return;
    }
    // A multipart upload is invisible until CompleteMultipartUpload.
    const { Upload } = requireFromHere('@aws-sdk/lib-storage') as typeof LibStorage;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: target, Body: createReadStream(localPath) },
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
    await this.call(key, () => upload.done());
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
    let response: ClientS3.GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }),
      );
    } catch (error) {
      if (isNotFound(error) && errorField(error, 'name') !== 'NoSuchBucket') {
        throw new RemoteNotFoundError(key);
      }
      throw this.translate(error, key);
    }
    const body = response.Body;
    if (body === undefined) throw this.translate(new Error('the response has no body'), key);
    if ((response.ContentLength ?? Infinity) <= SMALL_OBJECT) {
      // As in upload: a small object is written with one synchronous call.
      const bytes = await this.call(key, () => body.transformToByteArray());
      writeFileSync(localPath, bytes);
      onBytes?.(bytes.length);
      return md5Bytes(bytes);
    }
    return streamToFile(body as Readable, localPath, onBytes);
  }

  async delete(key: string): Promise<void> {
    await this.call(key, () =>
      this.client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) })),
    );
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private keyOf(key: string): string {
    return joinKey(this.root, key);
  }

  private async call<T>(key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  private translate(error: unknown, key: string): unknown {
    if (error instanceof SluiceError || error instanceof RemoteNotFoundError) return error;
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
      return new SluiceError('REMOTE', `bucket '${this.bucket}' does not exist`, {
        hint: `create it first, or fix the url of remote '${this.displayUrl}'`,
      });
    }
    if (name === 'AccessDenied' || status === 403) {
      return new SluiceError(
        'REMOTE',
        `access denied on remote '${this.displayUrl}' for '${key}'`,
        { hint: 'check the credentials and the bucket policy' },
      );
    }
    return new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}': ${name === '' ? 'error' : name}: ${reasonOf(error, this.secrets)}`,
      { hint: 'run the command again; transient errors are retried' },
    );
  }
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return meta?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = errorField(error, 'name');
  return name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket'
    ? true
    : httpStatus(error) === 404;
}

/** A minimal INI reader for ~/.aws/credentials and ~/.aws/config. */
function readIni(path: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return sections;
  }
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header !== null) {
      current = new Map();
      sections.set(header[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current !== undefined && eq > 0) {
      current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
    }
  }
  return sections;
}

/** Credentials and region of a profile from the shared files (as boto3 reads them). */
function fromProfile(config: RemoteConfig): {
  credentials?: Credentials;
  region?: string;
  profile: string;
} {
  const profile = option(config, 'profile') ?? process.env.AWS_PROFILE ?? 'default';
  const credentialsPath =
    option(config, 'credentialpath') ??
    process.env.AWS_SHARED_CREDENTIALS_FILE ??
    join(homedir(), '.aws', 'credentials');
  const configPath =
    option(config, 'configpath') ??
    process.env.AWS_CONFIG_FILE ??
    join(homedir(), '.aws', 'config');
  const configSection =
    readIni(configPath).get(profile === 'default' ? 'default' : `profile ${profile}`) ??
    readIni(configPath).get(profile);
  const section = readIni(credentialsPath).get(profile) ?? configSection;
  const accessKeyId = section?.get('aws_access_key_id');
  const secretAccessKey = section?.get('aws_secret_access_key');
  const sessionToken = section?.get('aws_session_token');
  const region = configSection?.get('region');
  const result: { credentials?: Credentials; region?: string; profile: string } = { profile };
  if (region !== undefined) result.region = region;
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    result.credentials =
      sessionToken === undefined
        ? { accessKeyId, secretAccessKey }
        : { accessKeyId, secretAccessKey, sessionToken };
  }
  return result;
}

function resolveCredentials(
  config: RemoteConfig,
  displayUrl: string,
): { credentials: Credentials; region?: string } {
  const accessKeyId = option(config, 'access_key_id');
  const secretAccessKey = option(config, 'secret_access_key');
  const sessionToken = option(config, 'session_token');
  const explicitProfile = option(config, 'profile') !== undefined;
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    return {
      credentials:
        sessionToken === undefined
          ? { accessKeyId, secretAccessKey }
          : { accessKeyId, secretAccessKey, sessionToken },
    };
  }
  const envKey = process.env.AWS_ACCESS_KEY_ID;
  const envSecret = process.env.AWS_SECRET_ACCESS_KEY;
  if (!explicitProfile && envKey !== undefined && envKey !== '' && envSecret !== undefined) {
    const token = process.env.AWS_SESSION_TOKEN;
    return {
      credentials:
        token === undefined || token === ''
          ? { accessKeyId: envKey, secretAccessKey: envSecret }
          : { accessKeyId: envKey, secretAccessKey: envSecret, sessionToken: token },
    };
  }
  const fromFiles = fromProfile(config);
  if (fromFiles.credentials !== undefined) {
    return fromFiles.region === undefined
      ? { credentials: fromFiles.credentials }
      : { credentials: fromFiles.credentials, region: fromFiles.region };
  }
  throw authFailed(
    displayUrl,
    'set access_key_id and secret_access_key with `sluice remote modify --local`, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials',
    `no AWS credentials found, profile '${fromFiles.profile}'`,
  );
}

/** `s3://bucket/path`. */
export function createS3Storage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  const bucket = match?.[1];
  if (match === null || bucket === undefined || bucket === '') {
    return Promise.reject(
      new SluiceError('CONFIG', `invalid S3 URL '${maskUrl(url)}'`, {
        hint: 'use s3://bucket/path',
      }),
    );
  }
  const displayUrl = maskUrl(url);
  let resolved: { credentials: Credentials; region?: string };
  try {
    resolved = resolveCredentials(config, displayUrl);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  let endpoint = option(config, 'endpointurl');
  if (endpoint !== undefined && !/^https?:\/\//i.test(endpoint)) {
    endpoint = `${boolOption(config, 'use_ssl', true) ? 'https' : 'http'}://${endpoint}`;
  }
  const region =
    option(config, 'region') ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    resolved.region ??
    'us-east-1';
  const clientConfig: ClientS3.S3ClientConfig = {
    region,
    credentials: resolved.credentials,
    // Without these, a streamed body is sent with aws-chunked framing that some S3-compatible
    // servers store as data; checksums are not what makes objects safe here (the hash is).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  };
  if (endpoint !== undefined) {
    clientConfig.endpoint = endpoint;
    // Custom endpoints (MinIO and friends) rarely have per-bucket DNS names.
    clientConfig.forcePathStyle = true;
  }
  // The SDK prints a multi-line "Node 20 support ends" notice on stderr in the middle of our
  // output; the engines field already states which Node versions Sluice supports.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new sdk.S3Client(clientConfig);
  const secrets = [resolved.credentials.secretAccessKey, resolved.credentials.sessionToken];
  return Promise.resolve(new S3Storage(client, bucket, match[2] ?? '', url, secrets));
}
