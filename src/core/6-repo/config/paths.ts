import { homedir } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseNamedSection, type ConfigData, type ConfigSection } from '../configobj.js';

/**
 * The options DVC stores as paths relative to their config file (dvc/config.py `_map_dirs`,
 * `_save_paths`), and how they are resolved when read and written.
 */

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
export function normalizeStoredPath(confDir: string, value: string): string {
  if (URL_RE.test(value) || isTildePath(value) || isAbsolute(value)) return value;
  return pyRelpath(resolve(confDir, value), resolve(confDir));
}

export function mapPaths(data: ConfigData, fn: (value: string) => string): ConfigData {
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
