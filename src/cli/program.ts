import { Command, Option } from 'commander';
import { COMMANDS } from './commands/index.js';

export const VERSION = '0.1.0';

/** Builds the `sluice` program: global flags, then one module per command. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description('Data versioning and pipelines for machine learning, compatible with DVC 3.x')
    .version(VERSION, '-V, --version', 'show the version and exit')
    .option('-q, --quiet', 'be quiet: print only errors')
    .option('-v, --verbose', 'be verbose: show debug output and stack traces')
    .option('--cd <dir>', 'run as if started in <dir>')
    .addOption(new Option('--wait <seconds>', 'wait this long for the repository lock').hideHelp())
    .showSuggestionAfterError(true)
    // The command words of `run` / `stage add` may carry their own flags (`python x.py -c 1`),
    // so options are parsed positionally and every command also accepts the global ones.
    .enablePositionalOptions()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  for (const command of program.commands) applyCommonSettings(command);
  return program;
}

function applyCommonSettings(command: Command): void {
  command.exitOverride();
  command.showSuggestionAfterError(true);
  if (command.commands.length > 0) {
    command.enablePositionalOptions();
    for (const sub of command.commands) applyCommonSettings(sub);
    return;
  }
  command
    .option('-q, --quiet', 'be quiet: print only errors')
    .option('-v, --verbose', 'be verbose: show debug output and stack traces')
    .addOption(new Option('--cd <dir>', 'run as if started in <dir>').hideHelp())
    .addOption(new Option('--wait <seconds>', 'wait this long for the repository lock').hideHelp());
}
