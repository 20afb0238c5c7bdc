import { CONFIG_LEVELS, type Config, type ConfigLevel } from './config/index.js';
import { namedSection } from './configobj.js';
import { SluiceError } from '../1-base/errors.js';
import { maskUrl } from '../4-storage/storage.js';

/**
 * The `remote` subcommands' edits of the config files, as DVC's `dvc/commands/remote.py` makes
 * them. Remote names are lower-cased; errors are ConfigErrors (exit 251).
 */

function configError(message: string, hint?: string): SluiceError {
  return new SluiceError(
    'CONFIG',
    `configuration error - ${message}`,
    hint === undefined ? {} : { hint },
  );
}

function sectionOf(name: string): string {
  return namedSection('remote', name.toLowerCase());
}

export async function addRemote(
  config: Config,
  level: ConfigLevel,
  name: string,
  url: string,
  options: { force: boolean; makeDefault: boolean; cwd: string },
): Promise<void> {
  const section = sectionOf(name);
  if (!options.force && config.rawAt(level)[section] !== undefined) {
    throw configError(
      `remote '${name.toLowerCase()}' already exists. Use \`-f|--force\` to overwrite it.`,
    );
  }
  await config.edit(
    level,
    (data) => {
      data[section] = { url };
      if (options.makeDefault) (data.core ??= {}).remote = name.toLowerCase();
    },
    { cwd: options.cwd },
  );
}

function existsAnywhere(config: Config, level: ConfigLevel, section: string): boolean {
  return CONFIG_LEVELS.slice(0, CONFIG_LEVELS.indexOf(level) + 1).some(
    (l) => config.levels().includes(l) && config.rawAt(l)[section] !== undefined,
  );
}

export async function modifyRemote(
  config: Config,
  level: ConfigLevel,
  name: string,
  option: string,
  value: string | undefined,
  options: { unset: boolean; cwd: string },
): Promise<void> {
  const section = sectionOf(name);
  if (!existsAnywhere(config, level, section)) {
    throw configError(`remote '${name.toLowerCase()}' doesn't exist.`);
  }
  const key = option.toLowerCase();
  if (!options.unset && value === undefined) {
    throw new SluiceError('BAD_ARGUMENTS', 'a value is required unless --unset is given', {
      hint: `e.g. sluice remote modify ${name} ${option} <value>`,
    });
  }
  await config.edit(
    level,
    (data) => {
      const entries = (data[section] ??= {});
      if (options.unset) delete entries[key];
      else entries[key] = value as string;
      if (Object.keys(entries).length === 0) delete data[section];
    },
    { cwd: options.cwd },
  );
}

/** `name<TAB>url[<TAB>(default)]` for every remote at the level (merged when none). */
export function listRemotes(config: Config, level: ConfigLevel | undefined): string[] {
  const data = level === undefined ? config.sections() : config.levelData(level);
  const fallback = data.core?.remote;
  const lines: string[] = [];
  for (const [section, entries] of Object.entries(data)) {
    const match = /^remote "(.*)"$/.exec(section);
    if (match === null) continue;
    const name = match[1] ?? '';
    const url = typeof entries.url === 'string' ? maskUrl(entries.url) : '';
    lines.push(name === fallback ? `${name}\t${url}\t(default)` : `${name}\t${url}`);
  }
  return lines;
}

export async function setDefaultRemote(
  config: Config,
  level: ConfigLevel,
  name: string | undefined,
  unset: boolean,
): Promise<void> {
  if (unset) {
    await config.edit(level, (data) => {
      if (data.core !== undefined) delete data.core.remote;
    });
    return;
  }
  const lowered = (name ?? '').toLowerCase();
  if (!existsAnywhere(config, 'local', sectionOf(lowered))) {
    throw configError(`default remote must be present in remote list.`);
  }
  await config.edit(level, (data) => {
    (data.core ??= {}).remote = lowered;
  });
}

export function defaultRemote(config: Config, level: ConfigLevel | undefined): string | undefined {
  const value =
    level === undefined ? config.get('core', 'remote') : config.getAt(level, 'core', 'remote');
  return typeof value === 'string' ? value : undefined;
}

export async function removeRemote(
  config: Config,
  level: ConfigLevel,
  name: string,
): Promise<void> {
  const lowered = name.toLowerCase();
  const section = sectionOf(lowered);
  if (config.rawAt(level)[section] === undefined) {
    throw configError(`remote '${lowered}' doesn't exist.`);
  }
  await config.edit(level, (data) => {
    delete data[section];
  });
  // The default remote pointing at it is cleared here and at the levels that shadow this one.
  for (const l of CONFIG_LEVELS.slice(CONFIG_LEVELS.indexOf(level))) {
    if (!config.levels().includes(l)) continue;
    if (config.rawAt(l).core?.remote !== lowered) continue;
    await config.edit(l, (data) => {
      if (data.core !== undefined) delete data.core.remote;
    });
  }
}

export async function renameRemote(
  config: Config,
  level: ConfigLevel,
  oldName: string,
  newName: string,
): Promise<void> {
  const from = sectionOf(oldName);
  const to = sectionOf(newName);
  if (config.rawAt(level)[from] === undefined) {
    throw configError(`remote '${oldName.toLowerCase()}' doesn't exist.`);
  }
  if (existsAnywhere(config, 'local', to)) {
    throw configError(`Rename failed. Remote name '${newName.toLowerCase()}' already exists.`);
  }
  await config.edit(level, (data) => {
    data[to] = data[from] ?? {};
    delete data[from];
  });
  for (const l of config.levels()) {
    if (config.rawAt(l).core?.remote !== oldName.toLowerCase()) continue;
    await config.edit(l, (data) => {
      (data.core ??= {}).remote = newName.toLowerCase();
    });
  }
}
