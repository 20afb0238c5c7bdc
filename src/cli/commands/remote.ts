import type { Command } from 'commander';
import { join } from 'node:path';
import type { Config, ConfigLevel } from '../../core/6-repo/config/index.js';
import { contextOf, type CommandContext } from '../context.js';
import { LEVEL_FLAGS, levelFromFlags, type LevelFlags } from './configLevels.js';

interface RemoteFlags extends LevelFlags {
  default?: boolean;
  force?: boolean;
  unset?: boolean;
}

async function loadConfig(ctx: CommandContext, level: ConfigLevel | undefined): Promise<Config> {
  const { Config } = await import('../../core/6-repo/config/index.js');
  const { findRoot } = await import('../../core/6-repo/repo.js');
  const { SluiceError } = await import('../../core/1-base/errors.js');
  const root = findRoot(ctx.cwd);
  if (root === undefined && level !== 'global' && level !== 'system') {
    throw new SluiceError('NOT_A_REPO', 'you are not inside of a DVC repository', {
      hint: 'run `sluice init` first, or use --global / --system',
    });
  }
  return Config.load(root === undefined ? null : join(root, '.dvc'), { validate: false });
}

function withLevels(command: Command): Command {
  for (const [flag, description] of LEVEL_FLAGS) command.option(flag, description);
  return command;
}

export function registerRemote(program: Command): void {
  const remote = program.command('remote').description('Set up and manage data remotes');

  withLevels(
    remote
      .command('add')
      .description('Add a remote')
      .argument('<name>', 'name of the remote')
      .argument('<url>', 'URL or path of the remote storage')
      .option('-d, --default', 'set this remote as the default one')
      .option('-f, --force', 'overwrite an existing remote of this name'),
  ).action(async (name: string, url: string, flags: RemoteFlags, command: Command) => {
    const ctx = contextOf(command);
    const level = levelFromFlags(flags) ?? 'repo';
    const config = await loadConfig(ctx, level);
    const { addRemote } = await import('../../core/6-repo/remoteConfig.js');
    await addRemote(config, level, name, url, {
      force: flags.force === true,
      makeDefault: flags.default === true,
      cwd: ctx.cwd,
    });
    if (flags.default === true) ctx.ui.out(`Setting '${name.toLowerCase()}' as a default remote.`);
  });

  withLevels(
    remote
      .command('modify')
      .description("Set or unset a remote's option")
      .argument('<name>', 'name of the remote')
      .argument('<option>', 'option name, e.g. url, endpointurl, keyfile')
      .argument('[value]', 'new value')
      .option('-u, --unset', 'unset the option'),
  ).action(
    async (
      name: string,
      option: string,
      value: string | undefined,
      flags: RemoteFlags,
      command: Command,
    ) => {
      const ctx = contextOf(command);
      const level = levelFromFlags(flags) ?? 'repo';
      const config = await loadConfig(ctx, level);
      const { modifyRemote } = await import('../../core/6-repo/remoteConfig.js');
      await modifyRemote(config, level, name, option, value, {
        unset: flags.unset === true,
        cwd: ctx.cwd,
      });
    },
  );

  withLevels(remote.command('list').description('List the remotes')).action(
    async (flags: RemoteFlags, command: Command) => {
      const ctx = contextOf(command);
      const level = levelFromFlags(flags);
      const config = await loadConfig(ctx, level);
      const { listRemotes } = await import('../../core/6-repo/remoteConfig.js');
      for (const line of listRemotes(config, level)) ctx.ui.data(line);
    },
  );

  withLevels(
    remote
      .command('default')
      .description('Show, set or unset the default remote')
      .argument('[name]', 'name of the remote')
      .option('-u, --unset', 'unset the default remote'),
  ).action(async (name: string | undefined, flags: RemoteFlags, command: Command) => {
    const ctx = contextOf(command);
    const level = levelFromFlags(flags);
    const config = await loadConfig(ctx, level);
    const { defaultRemote, setDefaultRemote } = await import('../../core/6-repo/remoteConfig.js');
    if (name === undefined && flags.unset !== true) {
      const current = defaultRemote(config, level);
      if (current === undefined) {
        ctx.ui.data('No default remote set');
        process.exitCode = 1;
        return;
      }
      ctx.ui.data(current);
      return;
    }
    await setDefaultRemote(config, level ?? 'repo', name, flags.unset === true);
  });

  withLevels(
    remote
      .command('remove')
      .description('Remove a remote')
      .argument('<name>', 'name of the remote'),
  ).action(async (name: string, flags: RemoteFlags, command: Command) => {
    const ctx = contextOf(command);
    const level = levelFromFlags(flags) ?? 'repo';
    const config = await loadConfig(ctx, level);
    const { removeRemote } = await import('../../core/6-repo/remoteConfig.js');
    await removeRemote(config, level, name);
  });

  withLevels(
    remote
      .command('rename')
      .description('Rename a remote')
      .argument('<name>', 'current name')
      .argument('<new>', 'new name'),
  ).action(async (name: string, newName: string, flags: RemoteFlags, command: Command) => {
    const ctx = contextOf(command);
    const level = levelFromFlags(flags) ?? 'repo';
    const config = await loadConfig(ctx, level);
    const { renameRemote } = await import('../../core/6-repo/remoteConfig.js');
    await renameRemote(config, level, name, newName);
  });
}
