import type { ConfigLevel } from '../../core/6-repo/config/index.js';

export interface LevelFlags {
  global?: boolean;
  system?: boolean;
  project?: boolean;
  local?: boolean;
}

export const LEVEL_FLAGS: ReadonlyArray<[string, string]> = [
  ['--global', 'use the global config file (~/.config/dvc/config)'],
  ['--system', 'use the system config file'],
  ['--project', 'use the project config file (.dvc/config; the default)'],
  ['--local', 'use the local config file (.dvc/config.local, not tracked by git)'],
];

export function levelFromFlags(flags: LevelFlags): ConfigLevel | undefined {
  if (flags.global === true) return 'global';
  if (flags.system === true) return 'system';
  if (flags.local === true) return 'local';
  if (flags.project === true) return 'repo';
  return undefined;
}
