import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { configError } from './names.js';

/** Where DVC's config files are, level by level. */

export type ConfigLevel = 'system' | 'global' | 'repo' | 'local';
/** In the order they shadow each other. */
export const CONFIG_LEVELS: readonly ConfigLevel[] = ['system', 'global', 'repo', 'local'];

/** dvc/dirs.py with platformdirs on Linux. Empty variables count as unset, as `os.getenv() or`. */
export function configFilePaths(
  dvcDir: string | null,
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<ConfigLevel, string>> {
  const xdgDirs = (env.XDG_CONFIG_DIRS ?? '').trim();
  const systemDir =
    env.DVC_SYSTEM_CONFIG_DIR ||
    join(xdgDirs === '' ? '/etc/xdg' : xdgDirs.split(':')[0].replace(/\/+$/, ''), 'dvc');
  const xdgHome = (env.XDG_CONFIG_HOME ?? '').trim();
  const globalDir =
    env.DVC_GLOBAL_CONFIG_DIR || join(xdgHome === '' ? join(homedir(), '.config') : xdgHome, 'dvc');
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
