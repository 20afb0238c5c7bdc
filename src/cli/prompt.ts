import { createInterface } from 'node:readline/promises';

/** Asks a yes/no question on the terminal. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/n] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
