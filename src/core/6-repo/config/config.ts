/**
 * The merged DVC configuration (system < global < repo < local) and its edits, following
 * dvc/config.py: paths are resolved per file, the whole merged config is validated against DVC's
 * schema, and every edit rewrites the whole file of one level.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errnoCode } from '../../1-base/errors.js';
import { writeFileAtomic } from '../../2-fs/atomicWrite.js';
import {
  namedSection,
  NAMED_SECTION_KINDS,
  parseConfigObj,
  parseNamedSection,
  serializeConfigObj,
  type ConfigData,
  type ConfigSection,
  type ConfigValue,
} from '../configobj.js';
import { CONFIG_LEVELS, configFilePaths, type ConfigLevel } from './locations.js';
import { configError, configName, parseBool } from './names.js';
import {
  isPathOption,
  mapPaths,
  normalizeStoredPath,
  resolveConfigPathForRead,
  resolveConfigPathForWrite,
} from './paths.js';
import { SECTION_ORDER, SECTION_SCHEMAS, validateConfig } from './schema.js';
import { NO_OBSERVER, type ReadObserver } from '../../2-fs/readObserver.js';

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
