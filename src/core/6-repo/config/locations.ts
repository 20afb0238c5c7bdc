import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { configError } from './names.js';
import { NO_OBSERVER, readEnv, type ReadObserver } from '../../2-fs/readObserver.js';

/** Where DVC's config files are, level by level. */

export type ConfigLevel = 'system' | 'global' | 'repo' | 'local';
/** In the order they shadow each other. */
export const CONFIG_LEVELS: readonly ConfigLevel[] = ['system', 'global', 'repo', 'local'];

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
