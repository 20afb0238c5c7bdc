import { pyStrRepr } from '../../1-base/python.js';
import { SluiceError } from '../../1-base/errors.js';
import {
  configErrorMessage,
  namedSection,
  parseNamedSection,
  type ConfigValue,
} from '../configobj.js';

/** A CONFIG error worded as DVC's ConfigError. */
export function configError(detail: string): SluiceError {
  return new SluiceError('CONFIG', configErrorMessage(detail));
}

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
