#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { COMMANDS } from './commands/index.js';
import { Ui } from './ui.js';

const VERSION = '0.1.0';

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

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0
      return error.exitCode === 0 ? 0 : 254;
    }
    const verbose = argv.includes('-v') || argv.includes('--verbose');
    new Ui(verbose, false).error(error);
    return typeof (error as { exitCode?: unknown }).exitCode === 'number'
      ? (error as { exitCode: number }).exitCode
      : 255;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(141);
});

const code = await main(process.argv.slice(2));
process.exitCode = code;
