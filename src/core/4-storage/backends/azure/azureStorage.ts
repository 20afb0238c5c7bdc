import { stat } from 'node:fs/promises';
import type {
  BlobServiceClient,
  ContainerClient,
  StoragePipelineOptions,
} from '@azure/storage-blob';
import { SluiceError } from '../../../1-base/errors.js';
import {
  maskUrl,
  RemoteNotFoundError,
  type ObjectInfo,
  type RemoteConfig,
  type RemoteStorage,
} from '../../storage.js';
import { azureCapabilities } from './capabilities.js';
import {
  authFailed,
  errorField,
  joinKey,
  networkCode,
  option,
  reasonOf,
  stripRoot,
  unreachable,
} from '../shared.js';
import { checkFile, corruptSourceIn } from '../../verifiedUpload.js';

/**
 * An Azure Blob Storage container. Credentials are a connection string (config or
 * AZURE_STORAGE_CONNECTION_STRING), an account name + key, or a SAS token; never
 * DefaultAzureCredential, which probes the instance-metadata service. Block-blob uploads are
 * atomic: the blob appears when its block list is committed.
 */
export class AzureStorage implements RemoteStorage {
  readonly displayUrl: string;
  readonly capabilities = azureCapabilities;

  constructor(
    private readonly container: ContainerClient,
    private readonly root: string,
    url: string,
    private readonly secrets: readonly (string | undefined)[],
  ) {
    this.displayUrl = maskUrl(url);
  }

  async *list(prefix: string): AsyncIterable<string> {
    try {
      const pages = this.container
        .listBlobsFlat({ prefix: joinKey(this.root, prefix) })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        for (const blob of page.segment.blobItems) yield stripRoot(this.root, blob.name);
      }
    } catch (error) {
      throw this.translate(error, prefix);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return await this.container.getBlobClient(joinKey(this.root, key)).exists();
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  async info(key: string): Promise<ObjectInfo | undefined> {
    try {
      const blob = this.container.getBlobClient(joinKey(this.root, key));
      if (!(await blob.exists())) return undefined;
      const properties = await blob.getProperties();
      return {
        size: properties.contentLength ?? 0,
        ...(properties.etag === undefined ? {} : { etag: properties.etag }),
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
    let reported = 0;
    try {
      // The SDK reads the file itself, in parallel blocks, and commits the blob at the end: the
      // file is hashed just before instead (a second read, from the page cache).
      await checkFile(localPath, md5);
      await this.container.getBlockBlobClient(joinKey(this.root, key)).uploadFile(localPath, {
        blockSize: 8 * 1024 * 1024,
        concurrency: 4,
        onProgress: (progress) => {
          if (onBytes !== undefined && progress.loadedBytes > reported) {
            onBytes(progress.loadedBytes - reported);
            reported = progress.loadedBytes;
          }
        },
      });
    } catch (error) {
      throw this.translate(error, key);
    }
    if (onBytes !== undefined && reported < size) onBytes(size - reported);
  }

  async download(key: string, localPath: string, onBytes?: (bytes: number) => void): Promise<void> {
    let reported = 0;
    try {
      await this.container
        .getBlobClient(joinKey(this.root, key))
        .downloadToFile(localPath, 0, undefined, {
          onProgress: (progress) => {
            if (onBytes !== undefined && progress.loadedBytes > reported) {
              onBytes(progress.loadedBytes - reported);
              reported = progress.loadedBytes;
            }
          },
        });
    } catch (error) {
      if (errorField(error, 'code') === 'BlobNotFound') throw new RemoteNotFoundError(key);
      if (
        errorField(error, 'statusCode') === 404 &&
        errorField(error, 'code') !== 'ContainerNotFound'
      ) {
        throw new RemoteNotFoundError(key);
      }
      throw this.translate(error, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.container.getBlobClient(joinKey(this.root, key)).deleteIfExists();
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private translate(error: unknown, key: string): unknown {
    const corrupt = corruptSourceIn(error);
    if (corrupt !== undefined) return corrupt;
    if (error instanceof SluiceError || error instanceof RemoteNotFoundError) return error;
    if (networkCode(error) !== undefined) return unreachable(this.displayUrl, error);
    const code = String(errorField(error, 'code') ?? '');
    const status = errorField(error, 'statusCode');
    if (code === 'AuthenticationFailed' || code === 'AuthorizationFailure' || status === 401) {
      return authFailed(
        this.displayUrl,
        'check connection_string, or account_name/account_key, with `sluice remote modify --local`',
        code === '' ? undefined : code,
      );
    }
    if (code === 'ContainerNotFound') {
      return new SluiceError(
        'REMOTE',
        `container '${this.container.containerName}' does not exist`,
        { hint: `create it first, or fix the url of remote '${this.displayUrl}'` },
      );
    }
    if (status === 403) {
      return new SluiceError(
        'REMOTE',
        `access denied on remote '${this.displayUrl}' for '${key}' (${code || 'HTTP 403'})`,
        { hint: 'check the credentials and the permissions of the container' },
      );
    }
    return new SluiceError(
      'REMOTE',
      `remote '${this.displayUrl}': ${code === '' ? '' : `${code}: `}${reasonOf(error, this.secrets)}`,
      { hint: 'run the command again; transient errors are retried' },
    );
  }
}

/**
 * Retries with short delays: the SDK's defaults (4 s doubling) keep an unreachable host or a
 * wrong key busy for half a minute before the error surfaces.
 */
const PIPELINE: StoragePipelineOptions = {
  retryOptions: { maxTries: 4, retryDelayInMs: 500, maxRetryDelayInMs: 5000 },
};

/** `azure://container/path`. */
export async function createAzureStorage(
  url: string,
  config: RemoteConfig,
): Promise<RemoteStorage> {
  const match = /^azure:\/\/([^/]+)\/?(.*)$/i.exec(url);
  const containerName = match?.[1];
  if (match === null || containerName === undefined || containerName === '') {
    throw new SluiceError('CONFIG', `invalid Azure URL '${maskUrl(url)}'`, {
      hint: 'use azure://container/path',
    });
  }
  const displayUrl = maskUrl(url);
  const { BlobServiceClient, StorageSharedKeyCredential, AnonymousCredential } =
    await import('@azure/storage-blob');
  const connectionString =
    option(config, 'connection_string') ?? nonEmpty(process.env.AZURE_STORAGE_CONNECTION_STRING);
  const accountName = option(config, 'account_name') ?? nonEmpty(process.env.AZURE_STORAGE_ACCOUNT);
  const accountKey = option(config, 'account_key') ?? nonEmpty(process.env.AZURE_STORAGE_KEY);
  const sasToken = option(config, 'sas_token') ?? nonEmpty(process.env.AZURE_STORAGE_SAS_TOKEN);
  const secrets = [accountKey, sasToken, ...secretsOfConnectionString(connectionString)];
  let service: BlobServiceClient;
  try {
    if (connectionString !== undefined) {
      service = BlobServiceClient.fromConnectionString(connectionString, PIPELINE);
    } else if (accountName !== undefined && accountKey !== undefined) {
      service = new BlobServiceClient(
        `https://${accountName}.blob.core.windows.net`,
        new StorageSharedKeyCredential(accountName, accountKey),
        PIPELINE,
      );
    } else if (accountName !== undefined && sasToken !== undefined) {
      const query = sasToken.startsWith('?') ? sasToken : `?${sasToken}`;
      service = new BlobServiceClient(
        `https://${accountName}.blob.core.windows.net${query}`,
        new AnonymousCredential(),
        PIPELINE,
      );
    } else if (accountName !== undefined && option(config, 'allow_anonymous_login') === 'true') {
      service = new BlobServiceClient(
        `https://${accountName}.blob.core.windows.net`,
        new AnonymousCredential(),
        PIPELINE,
      );
    } else {
      throw authFailed(
        displayUrl,
        'set connection_string, or account_name and account_key, with `sluice remote modify --local` (Azure AD logins are not supported)',
        'no credentials',
      );
    }
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    // The SDK's message would quote the malformed connection string, key included.
    throw new SluiceError(
      'CONFIG',
      `remote '${displayUrl}': invalid Azure connection string or key`,
      {
        hint: 'check connection_string / account_key with `sluice remote modify --local`',
      },
    );
  }
  return new AzureStorage(service.getContainerClient(containerName), match[2] ?? '', url, secrets);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The AccountKey / SharedAccessSignature parts of a connection string, to scrub them. */
function secretsOfConnectionString(value: string | undefined): string[] {
  if (value === undefined) return [];
  const secrets: string[] = [];
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim().toLowerCase();
    if (name === 'accountkey' || name === 'sharedaccesssignature') secrets.push(part.slice(eq + 1));
  }
  return secrets;
}
