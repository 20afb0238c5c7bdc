import { CommanderError } from 'commander';
import { translateSystemError } from '../core/errors.js';
import { buildProgram } from './program.js';
import { Ui } from './ui.js';
import { stampHelperStarted } from '../core/workspace/folderStamp.js';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (caught) {
    if (caught instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0
      return caught.exitCode === 0 ? 0 : 254;
    }
    const error = translateSystemError(caught);
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
// With the folder-stamp helper thread alive, Node's own way out takes ~20 ms longer than an
// explicit exit (a no-op `status` of 100k files lasts ~350 ms). The command is over: once the
// output has been handed to the OS, leave.
if (stampHelperStarted()) {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves once everything written to `stream` so far has been handed on. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}
