import type { Config } from './config/index.js';
import { SluiceError } from '../1-base/errors.js';
import { openStorage } from '../4-storage/registry.js';
import { maskUrl, type RemoteConfig, type RemoteStorage } from '../4-storage/storage.js';

export interface OpenRemote {
  name: string;
  url: string;
  options: RemoteConfig;
  storage: RemoteStorage;
  /** Parallel transfers: `-j`, else the remote's `jobs`, else the backend default. */
  jobs: number;
}

/** The remote named `name`, or the default one (`core.remote`). */
export function remoteNameOrDefault(config: Config, name: string | undefined): string {
  if (name !== undefined && name !== '') return name.toLowerCase();
  const fallback = config.get('core', 'remote');
  if (typeof fallback === 'string' && fallback !== '') return fallback.toLowerCase();
  throw new SluiceError('CONFIG', 'No remote provided and no default remote set.', {
    hint: 'Create a default remote with\n    sluice remote add -d <remote name> <remote url>',
    exitCode: 1,
  });
}

/** Opens a configured remote's storage. */
export async function openRemote(
  config: Config,
  name: string | undefined,
  jobs?: number,
): Promise<OpenRemote> {
  const remoteName = remoteNameOrDefault(config, name);
  const options = config.remote(remoteName);
  if (options === undefined) {
    throw new SluiceError('CONFIG', `remote '${remoteName}' doesn't exist`, {
      hint: 'list the remotes with `sluice remote list`',
    });
  }
  const url = options.url;
  if (typeof url !== 'string' || url === '') {
    throw new SluiceError('CONFIG', `remote '${remoteName}' has no url`, {
      hint: `set it with \`sluice remote modify ${remoteName} url <url>\``,
    });
  }
  const resolved = resolveRemoteUrl(config, url);
  let storage: RemoteStorage;
  try {
    storage = await openStorage(resolved, options);
  } catch (error) {
    throw maskError(error, [url, resolved]);
  }
  const configured = Number(typeof options.jobs === 'string' ? options.jobs : NaN);
  const chosen =
    jobs !== undefined && jobs > 0
      ? jobs
      : Number.isInteger(configured) && configured > 0
        ? configured
        : storage.capabilities.defaultJobs;
  return { name: remoteName, url, options, storage, jobs: chosen };
}

/** `remote://other/sub/path` refers to another remote's URL. */
function resolveRemoteUrl(config: Config, url: string, depth = 0): string {
  const match = /^remote:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (match === null) return url;
  const other = config.remote((match[1] ?? '').toLowerCase());
  if (other === undefined || typeof other.url !== 'string' || depth > 10) {
    throw new SluiceError(
      'CONFIG',
      `remote '${match[1] ?? ''}' in '${maskUrl(url)}' doesn't exist`,
    );
  }
  const base = resolveRemoteUrl(config, other.url, depth + 1).replace(/\/+$/, '');
  return match[2] === undefined ? base : `${base}${match[2]}`;
}

/** Rewrites an error's message so that no URL in it shows a password. */
export function maskError(error: unknown, urls: string[]): unknown {
  if (!(error instanceof Error)) return error;
  let message = error.message;
  for (const url of urls) message = message.split(url).join(maskUrl(url));
  if (message === error.message) return error;
  if (error instanceof SluiceError) {
    return new SluiceError(error.code, message, {
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      exitCode: error.exitCode,
    });
  }
  error.message = message;
  return error;
}
