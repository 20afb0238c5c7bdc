import type { Command } from 'commander';
import { join } from 'node:path';
import { contextOf } from '../context.js';
import { levelFromFlags, LEVEL_FLAGS, type LevelFlags } from './configLevels.js';

interface ConfigFlags extends LevelFlags {
  unset?: boolean;
  list?: boolean;
  showOrigin?: boolean;
}

const SECRET_OPTION = /password|secret|token|access_key|account_key|connection_string|passphrase/i;

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('Get, set or unset a configuration option (section.option)')
    .argument('[name]', 'option name, e.g. core.remote or remote.myremote.url')
    .argument('[value]', 'new value')
    .option('-u, --unset', 'unset the option')
    .option('-l, --list', 'list all options')
    .option('--show-origin', 'with --list, show the file each option comes from')
    .action(
      async (
        name: string | undefined,
        value: string | undefined,
        flags: ConfigFlags,
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const { Config, formatConfigValue, parseConfigName } =
          await import('../../core/6-repo/config/index.js');
        const { findRoot } = await import('../../core/6-repo/repo.js');
        const { SluiceError } = await import('../../core/1-base/errors.js');
        const root = findRoot(ctx.cwd);
        const level = levelFromFlags(flags);
        if (root === undefined && level !== 'global' && level !== 'system') {
          throw new SluiceError('NOT_A_REPO', 'you are not inside of a DVC repository', {
            hint: 'run `sluice init` first, or use --global / --system',
          });
        }
        const dvcDir = root === undefined ? null : join(root, '.dvc');
        const cfg = await Config.load(dvcDir);
        if (flags.list === true) {
          const { maskUrl } = await import('../../core/4-storage/storage.js');
          for (const item of cfg.list(level)) {
            // A listing is pasted into issues and logs: credentials are masked (an option asked
            // for by name still prints its value).
            const shown = SECRET_OPTION.test(item.key)
              ? '***'
              : typeof item.value === 'string'
                ? maskUrl(item.value)
                : formatConfigValue(item.value);
            const line = `${item.name}=${shown}`;
            ctx.ui.data(flags.showOrigin === true ? `${cfg.fileOf(item.level)}\t${line}` : line);
          }
          return;
        }
        if (name === undefined) {
          throw new SluiceError('BAD_ARGUMENTS', 'name argument is required', {
            hint: 'e.g. sluice config core.remote',
          });
        }
        const { section, key } = parseConfigName(name);
        if (flags.unset === true) {
          await cfg.unset(level ?? 'repo', section, key);
          return;
        }
        if (value === undefined) {
          const current =
            level === undefined ? cfg.get(section, key) : cfg.getAt(level, section, key);
          // Like DVC: an option that is not set prints nothing and succeeds.
          if (current === undefined) return;
          // A URL asked for is wanted for where it points: its credentials stay masked. An
          // option asked for by its own name (`remote.x.password`) prints its value.
          if (key === 'url' && typeof current === 'string') {
            const { maskUrl } = await import('../../core/4-storage/storage.js');
            ctx.ui.data(maskUrl(current));
            return;
          }
          ctx.ui.data(formatConfigValue(current));
          return;
        }
        await cfg.set(level ?? 'repo', section, key, value, { cwd: ctx.cwd });
        if (section === 'cache' && key === 'type') {
          ctx.ui.warn(
            "You have changed the cache.type option. This doesn't update any existing workspace file links, but it can be done with:\n             sluice checkout --relink",
          );
        }
      },
    );
  for (const [flag, description] of LEVEL_FLAGS) config.option(flag, description);
}
