import type { ConfigValue } from '../configobj.js';
import type { OptionType, RemoteOptionSchema } from '../../4-storage/storage.js';

/**
 * The schema language: a check answers null for a value it accepts, or DVC's (voluptuous)
 * wording of what is wrong with it. Storage backends declare their options as `OptionType`
 * data (4-storage sits below the config); `checkOf` turns those into checks.
 */
export type Check = (value: ConfigValue) => string | null;
export type Schema = Record<string, Check>;

export const str: Check = (v) => (typeof v === 'string' ? null : 'expected str');
export const bool: Check = (v) =>
  typeof v === 'string' && ['true', 'false'].includes(v.toLowerCase())
    ? null
    : 'expected true or false';
const pyBoolType: Check = () => 'expected bool';
const pyIntType: Check = () => 'expected int';

const PY_INT_RE = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const PY_FLOAT_RE =
  /^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+)?|\d+(?:_\d+)*\.|inf(?:inity)?|nan)\s*$/i;

export function int(min?: number): Check {
  return (v) => {
    if (typeof v !== 'string' || !PY_INT_RE.test(v)) return 'expected int';
    if (min !== undefined && Number(v.replace(/_/g, '')) < min) {
      return `value must be at least ${min}`;
    }
    return null;
  };
}

export function float(min?: number): Check {
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

export function choices(...options: string[]): Check {
  return (v) =>
    typeof v === 'string' && options.includes(v.toLowerCase())
      ? null
      : `expected one of ${options.join(', ')}`;
}

const CACHE_TYPES = ['reflink', 'hardlink', 'symlink', 'copy'];
export const cacheType: Check = (v) => {
  const types = typeof v === 'string' ? v.split(',').map((t) => t.trim()) : v;
  const unsupported = [...new Set(types.filter((t) => !CACHE_TYPES.includes(t)))];
  return unsupported.length === 0 ? null : `Unsupported cache type(s): ${unsupported.join(', ')}`;
};

/** The check of an option type a backend declares. */
export function checkOf(type: OptionType): Check {
  if (type === 'str') return str;
  if (type === 'bool') return bool;
  if (type === 'cacheType') return cacheType;
  if (type === 'pythonBool') return pyBoolType;
  if (type === 'pythonInt') return pyIntType;
  if ('int' in type) return int(type.int.min);
  if ('float' in type) return float(type.float.min);
  return choices(...type.oneOf);
}

/** The checks of a backend's declared options. */
export function schemaOf(options: RemoteOptionSchema): Schema {
  const schema: Schema = {};
  for (const [key, type] of Object.entries(options)) schema[key] = checkOf(type);
  return schema;
}
