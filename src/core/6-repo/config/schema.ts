import { pyStrRepr } from '../../1-base/python.js';
import { backendFor, BACKENDS, LOCAL_SCHEME } from '../../4-storage/registry.js';
import { REMOTE_COMMON_OPTIONS, type RemoteOptionSchema } from '../../4-storage/storage.js';
import {
  NAMED_SECTION_KINDS,
  parseNamedSection,
  type ConfigData,
  type ConfigSection,
  type ConfigValue,
} from '../configobj.js';
import { bool, cacheType, choices, float, int, schemaOf, str, type Schema } from './checks.js';
import { configError } from './names.js';

/** DVC's config schema (dvc/config_schema.py) and the validation of a merged config. */

/** Parses `cache.type` (a comma string or a list) into link types, in order. */
export function parseCacheTypes(value: ConfigValue): string[] {
  const problem = cacheType(value);
  if (problem != null) throw configError(problem);
  return typeof value === 'string' ? value.split(',').map((t) => t.trim()) : [...value];
}

/**
 * Remote kinds DVC's schema knows that no backend here opens: a remote of theirs still
 * validates as DVC validates it (and fails only when it is used).
 */
const OTHER_DVC_REMOTES: Readonly<Record<string, RemoteOptionSchema>> = {
  hdfs: { user: 'str', kerb_ticket: 'str', replication: 'pythonInt' },
  webhdfs: {
    kerberos: 'bool',
    kerberos_principal: 'str',
    proxy_to: 'str',
    ssl_verify: 'str',
    token: 'str',
    use_https: 'bool',
    user: 'str',
    password: 'str',
    data_proxy_target: 'str',
    verify: 'bool',
  },
  oss: { oss_key_id: 'str', oss_key_secret: 'str', oss_endpoint: 'str', verify: 'bool' },
  gdrive: {
    profile: 'str',
    gdrive_use_service_account: 'bool',
    gdrive_client_id: 'str',
    gdrive_client_secret: 'str',
    gdrive_user_credentials_file: 'str',
    gdrive_service_account_user_email: 'str',
    gdrive_service_account_json_file_path: 'str',
    gdrive_trash_only: 'bool',
    gdrive_acknowledge_abuse: 'bool',
    verify: 'bool',
  },
};

/** The checks of the options a backend declares for a scheme (none when no backend opens it). */
function remoteOptionChecks(scheme: string): Schema {
  const backend = backendFor(scheme);
  return backend === undefined ? {} : schemaOf(backend.options);
}

/**
 * The schema of a remote by its URL's scheme as `remoteScheme` reads it ('' for a local path):
 * its backend's declared options and the common ones; null for `remote://` (any option of any
 * kind); undefined for a scheme DVC does not support.
 */
const REMOTE_SCHEMAS: ReadonlyMap<string, Schema | null> = new Map<string, Schema | null>([
  ...BACKENDS.flatMap((backend) =>
    backend.schemes.map(
      (scheme) =>
        // DVC keys a local path by the empty scheme; `local://` is no URL it knows.
        [
          scheme === LOCAL_SCHEME ? '' : scheme,
          { ...schemaOf(backend.options), ...schemaOf(REMOTE_COMMON_OPTIONS) },
        ] as const,
    ),
  ),
  ...Object.entries(OTHER_DVC_REMOTES).map(
    ([scheme, options]) =>
      [scheme, { ...schemaOf(options), ...schemaOf(REMOTE_COMMON_OPTIONS) }] as const,
  ),
  ['remote', null],
]);

function remoteSchema(scheme: string): Schema | null | undefined {
  return REMOTE_SCHEMAS.get(scheme);
}

const MACHINE_SCHEMA: Schema = {
  cloud: choices('aws', 'azure'),
  region: choices('us-west', 'us-east', 'eu-west', 'eu-north'),
  image: str,
  spot: bool,
  spot_price: float(),
  instance_hdd_size: int(),
  instance_type: str,
  instance_gpu: str,
  ssh_private: str,
  startup_script: str,
  setup_script: str,
};

const DB_SCHEMA: Schema = { url: str, username: str, password: str };

/** Plain sections in the order DVC's schema lists them (new sections are written in this order). */
export const SECTION_SCHEMAS: Record<string, Schema | 'feature'> = {
  core: {
    remote: str,
    checksum_jobs: int(1),
    interactive: bool,
    analytics: bool,
    hardlink_lock: bool,
    no_scm: bool,
    autostage: bool,
    experiments: bool,
    check_update: bool,
    site_cache_dir: str,
    machine: str,
  },
  cache: {
    local: str,
    s3: str,
    gs: str,
    hdfs: str,
    webhdfs: str,
    ssh: str,
    azure: str,
    dir: str,
    // The cache is a local folder store: it takes the local backend's options.
    ...remoteOptionChecks(LOCAL_SCHEME),
  },
  state: { dir: str, row_limit: int(1), row_cleanup_quota: int(0) },
  index: { dir: str },
  // Unknown `feature` keys are only warned about and dropped by DVC.
  feature: 'feature',
  plots: { html_template: str, auto_open: bool, out_dir: str },
  exp: {
    code: str,
    data: str,
    models: str,
    metrics: str,
    params: str,
    plots: str,
    live: str,
    auto_push: bool,
    git_remote: str,
  },
  parsing: { bool: choices('store_true', 'boolean_optional'), list: choices('nargs', 'append') },
  hydra: {
    enabled: bool,
    config_dir: str,
    config_module: str,
    config_name: str,
    plugins_path: str,
  },
  studio: { token: str, url: str, repo_url: str, offline: bool },
};

export const SECTION_ORDER = Object.keys(SECTION_SCHEMAS);

/** urlparse(url).scheme when the URL has a netloc, '' (a local path) otherwise. */
function remoteScheme(url: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  return match == null || match[2] === '' ? '' : match[1].toLowerCase();
}

function at(...path: string[]): string {
  return 'data' + path.map((p) => `[${pyStrRepr(p)}]`).join('');
}

function checkSection(schema: Schema, entries: ConfigSection, path: string[]): string | null {
  for (const [key, value] of Object.entries(entries)) {
    const check = schema[key];
    if (check === undefined) return `extra keys not allowed @ ${at(...path, key)}`;
    const problem = check(value);
    if (problem != null) return `${problem} for dictionary value @ ${at(...path, key)}`;
  }
  return null;
}

/**
 * Validates merged, path-resolved data as DVC's voluptuous schema does and throws the first
 * problem as a CONFIG error with DVC's wording.
 */
export function validateConfig(data: ConfigData): void {
  // DVC's merged dict lists remote, machine and db before the plain sections.
  const named = Object.keys(data).filter((s) => parseNamedSection(s) != null);
  const plain = Object.keys(data).filter((s) => parseNamedSection(s) == null);
  for (const kind of NAMED_SECTION_KINDS) {
    for (const section of named) {
      const parsed = parseNamedSection(section)!;
      if (parsed.kind !== kind) continue;
      const entries = data[section];
      const path = [kind, parsed.name];
      let problem: string | null;
      if (kind === 'remote') {
        const url = entries.url;
        if (url === undefined) problem = `expected 'url' for dictionary value @ ${at(...path)}`;
        else if (typeof url !== 'string')
          problem = `expected str for dictionary value @ ${at(...path, 'url')}`;
        else {
          const scheme = remoteScheme(url);
          const schema = remoteSchema(scheme);
          if (schema === undefined) {
            problem = `Unsupported URL type ${scheme}:// for dictionary value @ ${at(...path)}`;
          } else {
            problem = schema == null ? null : checkSection(schema, entries, path);
          }
        }
      } else {
        problem = checkSection(kind === 'machine' ? MACHINE_SCHEMA : DB_SCHEMA, entries, path);
      }
      if (problem != null) throw configError(problem);
    }
  }
  for (const section of plain) {
    const entries = data[section];
    if (NAMED_SECTION_KINDS.includes(section as 'remote')) {
      const first = Object.keys(entries)[0];
      if (first === undefined) continue;
      throw configError(`expected a dictionary for dictionary value @ ${at(section, first)}`);
    }
    const schema = SECTION_SCHEMAS[section];
    if (schema === undefined) throw configError(`extra keys not allowed @ ${at(section)}`);
    if (schema === 'feature') {
      const machine = entries.machine;
      const problem = machine === undefined ? null : bool(machine);
      if (problem != null) {
        throw configError(`${problem} for dictionary value @ ${at(section, 'machine')}`);
      }
      continue;
    }
    const problem = checkSection(schema, entries, [section]);
    if (problem != null) throw configError(problem);
  }
}
