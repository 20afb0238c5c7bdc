import { createRequire } from 'node:module';
import type * as ProviderNode from '@aws-sdk/credential-provider-node';
import type * as SmithyConfig from '@smithy/core/config';
import type { RemoteConfig } from '../../storage.js';
import { authFailed, errorField, option } from '../shared.js';
import type { S3CredentialSource, S3Credentials } from './s3Rest.js';

/** The credentials of an S3 remote, and the region its profile names (if any). */
export interface S3Identity {
  credentials: S3CredentialSource;
  region?: string;
  /** The credentials last handed out, whose secrets no message may show. */
  lastSeen(): S3Credentials | undefined;
}

// Loaded with require, as the S3 client: an ESM import first scans the CommonJS build for the
// names it exports.
const requireFromHere = createRequire(import.meta.url);

/** The SDK's chain warns on stderr; its choices are the ones documented here. */
const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Where an S3 remote's credentials come from, in this order:
 * 1. `access_key_id` / `secret_access_key` (/ `session_token`) in the remote's config;
 * 2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY unless the config names a `profile` (as boto3,
 *    which DVC uses, prefers them to AWS_PROFILE);
 * 3. the AWS SDK's provider chain, as `aws s3 ls` finds them: the profile (the config's
 *    `profile`, else AWS_PROFILE, else `default`) of the shared files (`credentialpath` /
 *    `configpath`, else AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, else ~/.aws) with its
 *    keys, SSO, `credential_process`, assumed role or web identity; AWS_WEB_IDENTITY_TOKEN_FILE;
 *    the container's or the instance's role (the instance-metadata service is not asked when
 *    AWS_EC2_METADATA_DISABLED=true). The chain caches what it found and asks again before it
 *    expires.
 * Credentials that cannot be found fail here, once, with one clear error.
 */
export async function resolveS3Identity(
  config: RemoteConfig,
  displayUrl: string,
): Promise<S3Identity> {
  const fromConfig = staticCredentials(
    option(config, 'access_key_id'),
    option(config, 'secret_access_key'),
    option(config, 'session_token'),
  );
  if (fromConfig !== undefined) return fixed(fromConfig);
  const profileOption = option(config, 'profile');
  const fromEnv =
    profileOption === undefined
      ? staticCredentials(
          nonEmpty(process.env.AWS_ACCESS_KEY_ID),
          nonEmpty(process.env.AWS_SECRET_ACCESS_KEY),
          nonEmpty(process.env.AWS_SESSION_TOKEN),
        )
      : undefined;
  if (fromEnv !== undefined) return fixed(fromEnv);

  const files = {
    ...optional('filepath', option(config, 'credentialpath')),
    ...optional('configFilepath', option(config, 'configpath')),
  };
  const profile = profileOption ?? nonEmpty(process.env.AWS_PROFILE) ?? 'default';
  const { defaultProvider } = requireFromHere(
    '@aws-sdk/credential-provider-node',
  ) as typeof ProviderNode;
  const chain = defaultProvider({
    ...files,
    ...optional('profile', profileOption),
    logger: QUIET,
  });
  let seen: S3Credentials | undefined;
  const credentials: S3CredentialSource = async () => {
    const found = await chain();
    seen =
      found.sessionToken === undefined
        ? { accessKeyId: found.accessKeyId, secretAccessKey: found.secretAccessKey }
        : {
            accessKeyId: found.accessKeyId,
            secretAccessKey: found.secretAccessKey,
            sessionToken: found.sessionToken,
          };
    return seen;
  };
  try {
    await credentials();
  } catch (error) {
    const reason = String(errorField(error, 'message') ?? error).split('\n')[0];
    throw authFailed(
      displayUrl,
      'set access_key_id and secret_access_key with `sluice remote modify --local`, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a profile (keys, SSO, credential_process) in ~/.aws/config',
      `no AWS credentials found, profile '${profile}': ${reason}`,
    );
  }
  const region = await profileRegion(profile, files);
  return {
    credentials,
    ...optional('region', region),
    lastSeen: () => seen,
  };
}

/** The `region` of a profile in the shared files, as the AWS tools read it. */
async function profileRegion(
  profile: string,
  files: { filepath?: string; configFilepath?: string },
): Promise<string | undefined> {
  const { loadSharedConfigFiles } = requireFromHere('@smithy/core/config') as typeof SmithyConfig;
  const { configFile, credentialsFile } = await loadSharedConfigFiles({
    ...files,
    ignoreCache: true,
  });
  return nonEmpty(configFile[profile]?.region ?? credentialsFile[profile]?.region);
}

function fixed(credentials: S3Credentials): S3Identity {
  return { credentials: () => Promise.resolve(credentials), lastSeen: () => credentials };
}

function staticCredentials(
  accessKeyId: string | undefined,
  secretAccessKey: string | undefined,
  sessionToken: string | undefined,
): S3Credentials | undefined {
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return sessionToken === undefined
    ? { accessKeyId, secretAccessKey }
    : { accessKeyId, secretAccessKey, sessionToken };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
