import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Bucket, StorageOptions } from '@google-cloud/storage';
import { SluiceError } from '../../../1-base/errors.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type ObjectInfo,
  type RemoteConfig,
  type RemoteStorage,
} from '../../storage.js';
import { gcsCapabilities } from './capabilities.js';
import {
  authFailed,
  errorField,
  joinKey,
  networkCode,
  option,
  reasonOf,
  stripRoot,
  streamToFile,
  unreachable,
} from '../shared.js';
import { corruptSourceIn, verifiedReadStream } from '../../verifiedUpload.js';

/** GCS's message for a 404 about the bucket (an object's 404 says "No such object"). */
const BUCKET_MISSING = /specified bucket does not exist|bucket .*not found/i;

/** Larger files use a resumable upload session; smaller ones one multipart request. */
const RESUMABLE_LIMIT = 16 * 1024 * 1024;

/**
 * A Google Cloud Storage bucket. Credentials come from `credentialpath`,
 * GOOGLE_APPLICATION_CREDENTIALS or gcloud's application-default file, never from the metadata
 * server; with `endpointurl` (an emulator such as fake-gcs-server) no credentials are used.
 * Both kinds of upload are atomic: the object appears when the last request completes.
 */
export class GcsStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = gcsCapabilities;

  constructor(
    private readonly bucket: Bucket,
    private readonly root: string,
    url: string,
  ) {
    this.displayUrl = maskUrl(url);
  }

  async *list(prefix: string): AsyncIterable<string> {
    let pageToken: string | undefined;
    do {
      let files: { name: string }[];
      let next: { pageToken?: string } | null;
      try {
        [files, next] = await this.bucket.getFiles({
          prefix: joinKey(this.root, prefix),
          autoPaginate: false,
          maxResults: 1000,
          ...(pageToken === undefined ? {} : { pageToken }),
        });
      } catch (error) {
        // Listing an existing bucket never answers 404.
        throw this.translate(error, prefix, errorField(error, 'code') === 404);
      }
      for (const file of files) {
        if (!file.name.endsWith('/')) yield stripRoot(this.root, file.name);
      }
      pageToken = next?.pageToken ?? undefined;
    } while (pageToken !== undefined);
  }

  async exists(key: string): Promise<boolean> {
    try {
      const [found] = await this.bucket.file(joinKey(this.root, key)).exists();
      return found;
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async info(key: string): Promise<ObjectInfo | undefined> {
    try {
      const file = this.bucket.file(joinKey(this.root, key));
      const [found] = await file.exists();
      if (!found) return undefined;
      const [metadata] = await file.getMetadata();
      return {
        size: Number(metadata.size ?? 0),
        ...(typeof metadata.etag === 'string' ? { etag: metadata.etag } : {}),
      };
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async upload(
    localPath: string,
    key: string,
    onBytes?: (bytes: number) => void,
    md5?: string,
  ): Promise<void> {
    const { size } = await stat(localPath);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        onBytes?.(chunk.length);
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        // Fails before the end when the bytes do not hash to the name, so the upload (one
        // request, or a resumable session) is never completed.
        verifiedReadStream(localPath, md5),
        counter,
        this.bucket.file(joinKey(this.root, key)).createWriteStream({
          resumable: size > RESUMABLE_LIMIT,
          // The caller verifies content by its md5 name; skip the SDK's second hashing pass.
          validation: false,
          contentType: 'application/octet-stream',
        }),
      );
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    const file = this.bucket.file(joinKey(this.root, key));
    try {
      await streamToFile(file.createReadStream({ validation: false }), localPath, onBytes);
    } catch (error) {
      if (errorField(error, 'code') === 404 && !BUCKET_MISSING.test(messageOf(error))) {
        throw new RemoteNotFoundError(key);
      }
      throw this.translate(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.bucket.file(joinKey(this.root, key)).delete({ ignoreNotFound: true });
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private translate(error: unknown, key: string, bucketMissing = false): unknown {
    const corrupt = corruptSourceIn(error);
    if (corrupt !== undefined) return corrupt;
    if (error instanceof SluiceError || error instanceof RemoteNotFoundError) return error;
    if (networkCode(error) !== undefined) return unreachable(this.displayUrl, error);
    const code = errorField(error, 'code');
    if (code === 401) {
      return authFailed(this.displayUrl, 'check the credentialpath of the remote', 'HTTP 401');
    }
    if (code === 403) {
      return new SluiceError(
        'REMOTE',
        `access denied on remote '${this.displayUrl}' for '${key}'`,
        {
          hint: 'check the credentials and the bucket permissions',
        },
      );
    }
    if (code === 404 && (bucketMissing || BUCKET_MISSING.test(messageOf(error)))) {
      return new SluiceError('REMOTE', `bucket '${this.bucket.name}' does not exist`, {
        hint: `create it first, or fix the url of remote '${this.displayUrl}'`,
      });
    }
    return new SluiceError('REMOTE', `remote '${this.displayUrl}': ${reasonOf(error, [])}`, {
      hint: 'run the command again; transient errors are retried',
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `gs://bucket/path`. */
export async function createGcsStorage(url: string, config: RemoteConfig): Promise<RemoteStorage> {
  const match = /^gs:\/\/([^/]+)\/?(.*)$/i.exec(url);
  const bucketName = match?.[1];
  if (match === null || bucketName === undefined || bucketName === '') {
    throw new SluiceError('CONFIG', `invalid Google Cloud Storage URL '${maskUrl(url)}'`, {
      hint: 'use gs://bucket/path',
    });
  }
  const displayUrl = maskUrl(url);
  const endpoint = option(config, 'endpointurl');
  const projectId = option(config, 'projectname') ?? option(config, 'projectid');
  const options: StorageOptions = { retryOptions: { autoRetry: true, maxRetries: 3 } };
  if (projectId !== undefined) options.projectId = projectId;
  if (endpoint !== undefined) {
    // An emulator: the SDK sends no credentials to a custom endpoint (useAuthWithCustomEndpoint
    // stays false), so nothing probes for them.
    options.apiEndpoint = endpoint.replace(/\/+$/, '');
    options.projectId ??= 'sluice';
  } else {
    const keyFile =
      option(config, 'credentialpath') ??
      nonEmpty(process.env.GOOGLE_APPLICATION_CREDENTIALS) ??
      applicationDefaultFile();
    if (keyFile === undefined) {
      throw authFailed(
        displayUrl,
        'set credentialpath (a service-account or `gcloud auth application-default login` JSON file) with `sluice remote modify --local`',
        'no credentials',
      );
    }
    if (!existsSync(keyFile)) {
      throw authFailed(
        displayUrl,
        'fix the credentialpath of the remote (sluice remote modify --local)',
        `credentials file '${keyFile}' does not exist`,
      );
    }
    options.keyFilename = keyFile;
  }
  const { Storage } = await import('@google-cloud/storage');
  return new GcsStorage(new Storage(options).bucket(bucketName), match[2] ?? '', url);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function applicationDefaultFile(): string | undefined {
  const path = join(homedir(), '.config', 'gcloud', 'application_default_credentials.json');
  return existsSync(path) ? path : undefined;
}
