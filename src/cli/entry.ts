#!/usr/bin/env node
import { rememberedAnswer } from './answer-memo/rememberedAnswer.js';
import { exitWhenFlushed } from './exitFlushed.js';

// A reader that goes away (`sluice status | head -1`) ends the command quietly, as in git.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(141);
});

// Before the CLI's modules load (tens of milliseconds): a read-only command whose remembered
// answer still holds (see rememberedAnswer.ts) is answered without loading them at all, and a
// `status` of a large folder starts stamping it on a helper thread meanwhile.
const argv = process.argv.slice(2);
const answer = await rememberedAnswer(argv, process.cwd());
if (answer === undefined) {
  const { startEarlyStamps } = await import('./answer-memo/earlyStamps.js');
  startEarlyStamps(argv, process.cwd());
  await import('./main.js');
} else {
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  process.exitCode = answer.exitCode;
  // The helper thread, when large folders were stamped, would hold Node's exit up.
  if (answer.helperStarted) await exitWhenFlushed(answer.exitCode);
}
