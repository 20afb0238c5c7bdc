/**
 * The merged DVC configuration (system < global < repo < local) and its edits, following
 * dvc/config.py: paths are resolved per file, the whole merged config is validated against DVC's
 * schema, and every edit rewrites the whole file of one level.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import { writeFileAtomic } from '../2-fs/atomicWrite.js';
import { NO_OBSERVER, readEnv, type ReadObserver } from '../2-fs/readObserver.js';
import {
  configErrorMessage,
  namedSection,
  NAMED_SECTION_KINDS,
  parseConfigObj,
  parseNamedSection,
  pyStrRepr,
  serializeConfigObj,
  type ConfigData,
  type ConfigSection,
  type ConfigValue,
} from './configobj.js';

export type ConfigLevel = 'system' | 'global' | 'repo' | 'local';
/** In the order they shadow each other. */
export const CONFIG_LEVELS: readonly ConfigLevel[] = ['system', 'global', 'repo', 'local'];

export interface ConfigEntry {
  level: ConfigLevel;
  section: string;
  key: string;
  /** The name as `dvc config` spells it: `core.remote`, `remote.myremote.url`. */
  name: string;
  /** The absolute path of the level's file (`--show-origin` shows repo levels relative to the root). */
  file: string;
  value: ConfigValue;
}

function configError(detail: string): SluiceError {
  return new SluiceError('CONFIG', configErrorMessage(detail));
}

// ---------------------------------------------------------------------------------------------
// Files

/** dvc/dirs.py with platformdirs on Linux. Empty variables count as unset, as `os.getenv() or`. */
export function configFilePaths(
  dvcDir: string | null,
  env: NodeJS.ProcessEnv = process.env,
  observer: ReadObserver = NO_OBSERVER,
): Partial<Record<ConfigLevel, string>> {
  const get = (name: string): string | undefined => readEnv(observer, name, env);
  const xdgDirs = (get('XDG_CONFIG_DIRS') ?? '').trim();
  const systemDir =
    get('DVC_SYSTEM_CONFIG_DIR') ||
    join(xdgDirs === '' ? '/etc/xdg' : xdgDirs.split(':')[0].replace(/\/+$/, ''), 'dvc');
  const xdgHome = (get('XDG_CONFIG_HOME') ?? '').trim();
  const globalDir =
    get('DVC_GLOBAL_CONFIG_DIR') ||
    join(xdgHome === '' ? join(homeDir(observer), '.config') : xdgHome, 'dvc');
  const files: Partial<Record<ConfigLevel, string>> = {
    system: join(systemDir, 'config'),
    global: join(globalDir, 'config'),
  };
  if (dvcDir != null) {
    files.repo = join(resolve(dvcDir), 'config');
    files.local = join(resolve(dvcDir), 'config.local');
  }
  return files;
}

/** os.homedir(), which reads HOME beneath JavaScript: the observer is told. */
function homeDir(observer: ReadObserver): string {
  observer.onEnv('HOME');
  return homedir();
}

/** The file of one level; repo and local need a repo (`dvcDir`). */
export function configFilePath(
  level: ConfigLevel,
  dvcDir: string | null,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const file = configFilePaths(dvcDir, env)[level];
  if (file === undefined) throw configError('Not inside a DVC repo');
  return file;
}

// ---------------------------------------------------------------------------------------------
// Names and values

const NAME_RE = /^(?:(remote|db)\.)?([^.]*)\.([^.]*)$/;

/**
 * `core.remote` -> {section: 'core', key: 'remote'}; `remote.MyRemote.url` ->
 * {section: 'remote "myremote"', key: 'url'}. Both parts are lower-cased, as `dvc config` does.
 */
export function parseConfigName(name: string): { section: string; key: string } {
  const match = NAME_RE.exec(name);
  if (match == null) {
    // argparse rejects it, so DVC exits 254 rather than with a config error.
    throw new SluiceError(
      'BAD_ARGUMENTS',
      'argument name: name argument should look like remote.name.option or db.name.option or section.option',
    );
  }
  const top = match[1] as 'remote' | 'db' | undefined;
  const section = match[2].toLowerCase();
  const key = match[3].toLowerCase();
  return { section: top === undefined ? section : namedSection(top, section), key };
}

/** The inverse of parseConfigName. */
export function configName(section: string, key: string): string {
  const named = parseNamedSection(section);
  return named == null ? `${section}.${key}` : `${named.kind}.${named.name}.${key}`;
}

/** DVC's `Bool`: `true`/`false`, case-insensitive. */
export function parseBool(value: ConfigValue): boolean {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw configError(`expected true or false, got ${formatConfigValue(value)}`);
}

/** Python's `str()` of a config value, as `dvc config -l` and `dvc config NAME` print it. */
export function formatConfigValue(value: ConfigValue): string {
  return Array.isArray(value) ? `[${value.map(pyStrRepr).join(', ')}]` : value;
}

// ---------------------------------------------------------------------------------------------
// Paths

const PATH_KEYS: Record<string, readonly string[]> = {
  cache: ['dir'],
  remote: [
    'url',
    'gdrive_user_credentials_file',
    'gdrive_service_account_json_file_path',
    'credentialpath',
    'configpath',
    'keyfile',
    'cert_path',
    'key_path',
  ],
  machine: ['startup_script', 'setup_script'],
};

/** Whether DVC stores this option relative to the config file (dvc/config.py `_map_dirs`). */
export function isPathOption(section: string, key: string): boolean {
  const named = parseNamedSection(section);
  return (PATH_KEYS[named == null ? section : named.kind] ?? []).includes(key);
}

const URL_RE = /^\w+:\/\//;

function isTildePath(value: string): boolean {
  return value === '~' || value.startsWith('~/') || /^~[^/]+(\/|$)/.test(value);
}

function expandTilde(value: string): string {
  if (value === '~' || value.startsWith('~/')) return homedir() + value.slice(1);
  return value; // ~user: left as is
}

/** Python's os.path.relpath, which says `.` where Node says ''. */
function pyRelpath(path: string, start: string): string {
  return relative(start, path) || '.';
}

/**
 * A path given on the command line, as DVC stores it: relative paths are resolved against `cwd` and
 * made relative to the config file's directory; URLs, `~` paths and absolute paths are kept.
 */
export function resolveConfigPathForWrite(confDir: string, cwd: string, value: string): string {
  if (URL_RE.test(value) || isTildePath(value) || isAbsolute(value)) return value;
  return pyRelpath(resolve(cwd, value), resolve(confDir));
}

/** A path read from a config file: relative to the file's directory; `~` is expanded. */
export function resolveConfigPathForRead(confDir: string, value: string): string {
  if (URL_RE.test(value) || isAbsolute(value)) return value;
  const expanded = expandTilde(value);
  if (isAbsolute(expanded)) return expanded;
  return resolve(confDir, value);
}

/** A value already in the file, as `_save_paths` rewrites it on every edit (normalised). */
function normalizeStoredPath(confDir: string, value: string): string {
  if (URL_RE.test(value) || isTildePath(value) || isAbsolute(value)) return value;
  return pyRelpath(resolve(confDir, value), resolve(confDir));
}

function mapPaths(data: ConfigData, fn: (value: string) => string): ConfigData {
  const out: ConfigData = {};
  for (const [section, entries] of Object.entries(data)) {
    const copy: ConfigSection = {};
    for (const [key, value] of Object.entries(entries)) {
      copy[key] = typeof value === 'string' && isPathOption(section, key) ? fn(value) : value;
    }
    out[section] = copy;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Schema (dvc/config_schema.py)

type Check = (value: ConfigValue) => string | null;

const str: Check = (v) => (typeof v === 'string' ? null : 'expected str');
const bool: Check = (v) =>
  typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())
    ? null
    : 'expected true or false';
const pyBoolType: Check = () => 'expected bool';
const pyIntType: Check = () => 'expected int';

const PY_INT_RE = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const PY_FLOAT_RE =
  /^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+)?|\d+(?:_\d+)*\.|inf(?:inity)?|nan)\s*$/i;

function int(min?: number): Check {
  return (v) => {
    if (typeof v !== 'string' || !PY_INT_RE.test(v)) return 'expected int';
    if (min !== undefined && Number(v.replace(/_/g, '')) < min) {
      return `value must be at least ${min}`;
    }
    return null;
  };
}

function float(min?: number): Check {
  return (v) => {
    if (typeof v !== 'string' || !PY_FLOAT_RE.test(v)) return 'expected float';
    const n = Number(
      v
        .replace(/_/g, '')
        .trim()
        .replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'),
    );
    if (min !== undefined && n < min) return `value must be at least ${min}`;
    return null;
  };
}

function choices(...options: string[]): Check {
  return (v) =>
    typeof v === 'string' && options.includes(v.toLowerCase())
      ? null
      : `expected one of ${options.join(', ')}`;
}

const CACHE_TYPES = ['reflink', 'hardlink', 'symlink', 'copy'];
const cacheType: Check = (v) => {
  const types = typeof v === 'string' ? v.split(',').map((t) => t.trim()) : v;
  const unsupported = [...new Set(types.filter((t) => !CACHE_TYPES.includes(t)))];
  return unsupported.length === 0 ? null : `Unsupported cache type(s): ${unsupported.join(', ')}`;
};

/** Parses `cache.type` (a comma string or a list) into link types, in order. */
export function parseCacheTypes(value: ConfigValue): string[] {
  const problem = cacheType(value);
  if (problem != null) throw configError(problem);
  return typeof value === 'string' ? value.split(',').map((t) => t.trim()) : [...value];
}

type Schema = Record<string, Check>;

const REMOTE_COMMON: Schema = {
  url: str,
  checksum_jobs: int(1),
  jobs: int(1),
  worktree: bool,
  no_traverse: bool,
  version_aware: bool,
};
const LOCAL_COMMON: Schema = {
  type: cacheType,
  protected: bool,
  shared: choices('group'),
  slow_link_warning: bool,
  verify: bool,
};
const HTTP_COMMON: Schema = {
  auth: choices('basic', 'digest', 'custom'),
  custom_auth_header: str,
  user: str,
  password: str,
  ask_password: bool,
  ssl_verify: str,
  method: str,
  connect_timeout: float(0),
  read_timeout: float(0),
  verify: bool,
};
const WEBDAV_COMMON: Schema = {
  user: str,
  password: str,
  ask_password: bool,
  token: str,
  bearer_token_command: str,
  custom_auth_header: str,
  cert_path: str,
  key_path: str,
  timeout: int(),
  ssl_verify: str,
  verify: bool,
};

const REMOTE_SCHEMAS: Record<string, Schema | null> = {
  '': { ...LOCAL_COMMON, ...REMOTE_COMMON },
  s3: {
    region: str,
    profile: str,
    credentialpath: str,
    configpath: str,
    endpointurl: str,
    access_key_id: str,
    secret_access_key: str,
    session_token: str,
    listobjects: bool,
    use_ssl: bool,
    allow_anonymous_login: bool,
    ssl_verify: str,
    sse: str,
    sse_kms_key_id: str,
    sse_customer_algorithm: str,
    sse_customer_key: str,
    acl: str,
    grant_read: str,
    grant_read_acp: str,
    grant_write_acp: str,
    grant_full_control: str,
    cache_regions: pyBoolType,
    read_timeout: int(),
    connect_timeout: int(),
    verify: bool,
    ...REMOTE_COMMON,
  },
  gs: {
    projectname: str,
    credentialpath: str,
    endpointurl: str,
    verify: bool,
    allow_anonymous_login: bool,
    ...REMOTE_COMMON,
  },
  ssh: {
    type: cacheType,
    port: int(),
    user: str,
    password: str,
    ask_password: bool,
    passphrase: str,
    ask_passphrase: bool,
    keyfile: str,
    timeout: int(),
    gss_auth: bool,
    allow_agent: bool,
    max_sessions: int(),
    verify: bool,
    ...REMOTE_COMMON,
  },
  hdfs: { user: str, kerb_ticket: str, replication: pyIntType, ...REMOTE_COMMON },
  webhdfs: {
    kerberos: bool,
    kerberos_principal: str,
    proxy_to: str,
    ssl_verify: str,
    token: str,
    use_https: bool,
    user: str,
    password: str,
    data_proxy_target: str,
    verify: bool,
    ...REMOTE_COMMON,
  },
  azure: {
    connection_string: str,
    sas_token: str,
    account_name: str,
    account_key: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    allow_anonymous_login: bool,
    exclude_environment_credential: bool,
    exclude_visual_studio_code_credential: bool,
    exclude_shared_token_cache_credential: bool,
    exclude_managed_identity_credential: bool,
    verify: bool,
    timeout: int(),
    read_timeout: int(),
    connection_timeout: int(),
    ...REMOTE_COMMON,
  },
  oss: { oss_key_id: str, oss_key_secret: str, oss_endpoint: str, verify: bool, ...REMOTE_COMMON },
  gdrive: {
    profile: str,
    gdrive_use_service_account: bool,
    gdrive_client_id: str,
    gdrive_client_secret: str,
    gdrive_user_credentials_file: str,
    gdrive_service_account_user_email: str,
    gdrive_service_account_json_file_path: str,
    gdrive_trash_only: bool,
    gdrive_acknowledge_abuse: bool,
    verify: bool,
    ...REMOTE_COMMON,
  },
  http: { ...HTTP_COMMON, ...REMOTE_COMMON },
  https: { ...HTTP_COMMON, ...REMOTE_COMMON },
  webdav: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
  webdavs: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
  remote: null, // any option of any remote type
};

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
const SECTION_SCHEMAS: Record<string, Schema | 'feature'> = {
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
    ...LOCAL_COMMON,
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

const SECTION_ORDER = Object.keys(SECTION_SCHEMAS);

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
          const schema = REMOTE_SCHEMAS[scheme];
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

// ---------------------------------------------------------------------------------------------
// Merging

function mergeInto(into: ConfigData, update: ConfigData): void {
  for (const [section, entries] of Object.entries(update)) {
    const target = (into[section] ??= {});
    for (const [key, value] of Object.entries(entries)) {
      target[key] = Array.isArray(value) ? [...value] : value;
    }
  }
}

function cloneData(data: ConfigData): ConfigData {
  const out: ConfigData = {};
  mergeInto(out, data);
  return out;
}

/** Entries in the order `dvc config -l` prints one level: remote, machine, db, then the rest. */
function flatten(level: ConfigLevel, file: string, data: ConfigData): ConfigEntry[] {
  const sections = Object.keys(data);
  const ordered = [
    ...NAMED_SECTION_KINDS.flatMap((kind) =>
      sections.filter((s) => parseNamedSection(s)?.kind === kind),
    ),
    ...sections.filter((s) => parseNamedSection(s) == null),
  ];
  return ordered.flatMap((section) =>
    Object.entries(data[section]).map(([key, value]) => ({
      level,
      section,
      key,
      name: configName(section, key),
      file,
      value,
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Config

export interface ConfigLoadOptions {
  /** Validate the merged config against DVC's schema (DVC does, except in `dvc config`). */
  validate?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Told of the files and variables read (see readObserver.ts). */
  observer?: ReadObserver;
}

export interface ConfigEditOptions {
  /**
   * When set, relative path values being written are taken relative to this directory and stored
   * relative to the config file. When unset they are stored as given.
   */
  cwd?: string;
  validate?: boolean;
}

export class Config {
  readonly dvcDir: string | null;
  readonly files: Partial<Record<ConfigLevel, string>>;
  private raw: Partial<Record<ConfigLevel, ConfigData>> = {};
  private resolved: Partial<Record<ConfigLevel, ConfigData>> = {};

  private constructor(dvcDir: string | null, files: Partial<Record<ConfigLevel, string>>) {
    this.dvcDir = dvcDir == null ? null : resolve(dvcDir);
    this.files = files;
  }

  /** Reads every level's file (missing files are empty). `dvcDir` is null outside a repo. */
  static async load(dvcDir: string | null, options: ConfigLoadOptions = {}): Promise<Config> {
    const observer = options.observer ?? NO_OBSERVER;
    const config = new Config(dvcDir, configFilePaths(dvcDir, options.env, observer));
    // A `~` in a path option reads HOME as the file is read (expandTilde).
    observer.onEnv('HOME');
    for (const file of Object.values(config.files)) observer.onRead(file);
    await config.reload();
    if (options.validate ?? true) config.validate();
    return config;
  }

  /** Re-reads all files. */
  async reload(): Promise<void> {
    for (const level of CONFIG_LEVELS) {
      const file = this.files[level];
      if (file === undefined) continue;
      this.setLevel(level, await readConfigFile(file));
    }
  }

  private setLevel(level: ConfigLevel, raw: ConfigData): void {
    const confDir = dirname(this.files[level]!);
    this.raw[level] = raw;
    this.resolved[level] = mapPaths(raw, (v) => resolveConfigPathForRead(confDir, v));
  }

  /** The file of a level; repo levels need a repo. */
  fileOf(level: ConfigLevel): string {
    const file = this.files[level];
    if (file === undefined) throw configError('Not inside a DVC repo');
    return file;
  }

  validate(): void {
    validateConfig(this.sections());
  }

  /** Levels that exist here (system and global always; repo and local inside a repo). */
  levels(): ConfigLevel[] {
    return CONFIG_LEVELS.filter((level) => this.files[level] !== undefined);
  }

  /** The merged view, paths resolved to absolute. */
  sections(upTo?: ConfigLevel): ConfigData {
    const merged: ConfigData = {};
    for (const level of this.levels()) {
      mergeInto(merged, this.resolved[level] ?? {});
      if (level === upTo) break;
    }
    return merged;
  }

  /** One level, paths resolved (DVC's `config.read(level)`). */
  levelData(level: ConfigLevel): ConfigData {
    return cloneData(this.resolved[level] ?? {});
  }

  /** One level as written in its file. */
  rawAt(level: ConfigLevel): ConfigData {
    return cloneData(this.raw[level] ?? {});
  }

  get(section: string, key: string): ConfigValue | undefined {
    let found: ConfigValue | undefined;
    for (const level of this.levels()) found = this.resolved[level]?.[section]?.[key] ?? found;
    return found;
  }

  getAt(level: ConfigLevel, section: string, key: string): ConfigValue | undefined {
    return this.resolved[level]?.[section]?.[key];
  }

  /** The level whose value `get` returns. */
  originOf(section: string, key: string): ConfigLevel | undefined {
    let origin: ConfigLevel | undefined;
    for (const level of this.levels()) {
      if (this.resolved[level]?.[section]?.[key] !== undefined) origin = level;
    }
    return origin;
  }

  getBool(section: string, key: string, fallback: boolean): boolean {
    const value = this.get(section, key);
    return value === undefined ? fallback : parseBool(value);
  }

  /**
   * The value at `level` (or the merged value), throwing DVC's errors when the section or option is
   * missing: "section 'x' doesn't exist", "option 'k' doesn't exist in remote 'r'".
   */
  require(level: ConfigLevel | undefined, section: string, key: string): ConfigValue {
    const data = level === undefined ? this.sections() : (this.resolved[level] ?? {});
    checkExists(data, section, key);
    return data[section][key];
  }

  /** Remote names defined at any level, in order of first appearance. */
  remoteNames(): string[] {
    return Object.keys(this.sections()).flatMap((section) => {
      const named = parseNamedSection(section);
      return named?.kind === 'remote' ? [named.name] : [];
    });
  }

  /** A remote's options merged across levels, paths resolved. */
  remote(name: string): ConfigSection | undefined {
    return this.sections()[namedSection('remote', name)];
  }

  /** What `dvc config -l` shows: each level in turn (all existing levels when none is given). */
  list(level?: ConfigLevel): ConfigEntry[] {
    const levels = level === undefined ? this.levels() : [level];
    if (level !== undefined) this.fileOf(level);
    return levels.flatMap((l) => flatten(l, this.files[l]!, this.resolved[l] ?? {}));
  }

  async set(
    level: ConfigLevel,
    section: string,
    key: string,
    value: ConfigValue,
    options: ConfigEditOptions = {},
  ): Promise<void> {
    await this.edit(
      level,
      (data) => {
        (data[section] ??= {})[key] = value;
      },
      options,
    );
  }

  /** Removes an option; DVC's errors when it is not set at this level. */
  async unset(
    level: ConfigLevel,
    section: string,
    key: string,
    options: ConfigEditOptions = {},
  ): Promise<void> {
    await this.edit(
      level,
      (data) => {
        checkExists(data, section, key);
        delete data[section][key];
      },
      options,
    );
  }

  /**
   * DVC's `Config.edit`: `fn` changes a copy of the level's data as written in its file, the merged
   * result is validated, and the whole file is rewritten atomically. Path options `fn` leaves alone
   * are normalised as DVC does on every write. Path values `fn` writes are stored as given (use
   * resolveConfigPathForWrite), or, when `options.cwd` is set, resolved from `cwd` here.
   */
  async edit(
    level: ConfigLevel,
    fn: (data: ConfigData) => void,
    options: ConfigEditOptions = {},
  ): Promise<void> {
    const file = this.fileOf(level);
    const confDir = dirname(file);
    // Like DVC, start from the file as it is now, not as it was when this object was loaded.
    const before = await readConfigFile(file);
    const data = cloneData(before);
    fn(data);

    const after: ConfigData = {};
    const fileSections = Object.keys(before);
    const newSections = Object.keys(data).filter((s) => !fileSections.includes(s));
    const newPlain = newSections
      .filter((s) => parseNamedSection(s) == null)
      .sort((a, b) => rank(a) - rank(b));
    const newNamed = newSections.filter((s) => parseNamedSection(s) != null);
    for (const section of [...fileSections, ...newPlain, ...newNamed]) {
      const entries = data[section];
      if (entries === undefined) continue;
      const out: ConfigSection = {};
      for (const [key, value] of Object.entries(entries)) {
        if (typeof value !== 'string' || !isPathOption(section, key)) out[key] = value;
        else if (before[section]?.[key] === value) out[key] = normalizeStoredPath(confDir, value);
        else if (options.cwd !== undefined) {
          out[key] = resolveConfigPathForWrite(confDir, options.cwd, value);
        } else out[key] = value;
      }
      after[section] = out;
    }

    if (options.validate ?? true) {
      const merged: ConfigData = {};
      for (const l of this.levels()) {
        if (l === level) break;
        mergeInto(merged, this.resolved[l] ?? {});
      }
      mergeInto(
        merged,
        mapPaths(after, (v) => resolveConfigPathForRead(confDir, v)),
      );
      validateConfig(merged);
    }

    const text = serializeConfigObj(after);
    await mkdir(confDir, { recursive: true });
    await writeFileAtomic(file, text);
    this.setLevel(level, parseConfigObj(text, file));
  }
}

function rank(section: string): number {
  const index = SECTION_ORDER.indexOf(section);
  return index === -1 ? SECTION_ORDER.length : index;
}

/** commands/config.py `_check`. Known plain sections always "exist", as DVC pre-creates them. */
function checkExists(data: ConfigData, section: string, key: string): void {
  const named = parseNamedSection(section);
  const kindLabel = named == null ? 'section' : named.kind;
  const shown = named == null ? section : named.name;
  const entries = data[section];
  if (entries === undefined && (named != null || !(section in SECTION_SCHEMAS))) {
    throw configError(`${kindLabel} '${shown}' doesn't exist`);
  }
  if (entries?.[key] === undefined) {
    throw configError(`option '${key}' doesn't exist in ${kindLabel} '${shown}'`);
  }
}

async function readConfigFile(file: string): Promise<ConfigData> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return {};
    throw error;
  }
  return parseConfigObj(text, file);
}
