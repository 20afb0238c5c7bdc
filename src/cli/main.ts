import { CommanderError } from 'commander';
import { translateSystemError } from '../core/1-base/errors.js';
import { buildProgram } from './program.js';
import { Ui } from './ui.js';
import { AnswerRecorder } from './answer-memo/answerRecorder.js';
import { stampHelperStarted } from '../core/5-workspace/folderStamp.js';
import { exitWhenFlushed } from './exitFlushed.js';

/** Set when the command ended in an error (shown to the user), rather than in its answer. */
let failed = false;

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (caught) {
    failed = true;
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

const argv = process.argv.slice(2);
// A read-only command's run is watched (the repository is opened with the recorder as its
// observer), so that its answer can stand for the next run's while nothing it read changes
// (see answerRecorder.ts).
const recorder = AnswerRecorder.forCommand(argv, process.cwd());
const output = recorder === undefined ? undefined : captureOutput();
const code = await main(argv);
process.exitCode = code;
if (recorder !== undefined && output !== undefined) {
  const { stdout, stderr } = output.stop();
  // An error is not an answer: what caused it (a lock held too long, say) may be gone next
  // time. Nor is progress drawn on a terminal.
  const drawn = process.stderr.isTTY && stderr !== '';
  recorder.finish(failed || drawn ? undefined : { stdout, stderr, exitCode: code });
}
if (stampHelperStarted()) await exitWhenFlushed(code);

/** Copies what is written to stdout and stderr from now until `stop`. */
function captureOutput(): { stop(): { stdout: string; stderr: string } } {
  const streams = [process.stdout, process.stderr];
  const captured = streams.map(() => [] as string[]);
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, index) => {
    const original = originals[index] as (...args: unknown[]) => boolean;
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured[index].push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return original(chunk, ...rest);
    };
  });
  return {
    stop() {
      streams.forEach((stream, index) => (stream.write = originals[index]));
      return { stdout: captured[0].join(''), stderr: captured[1].join('') };
    },
  };
}
