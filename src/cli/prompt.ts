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

/**
 * Runs `work` without force; when it refuses to lose unsaved files (`UNSAVED`) and a person is at
 * the terminal, shows the refusal and asks, then runs it again with force if they agree. Without a
 * terminal the refusal stands. `work` changes nothing before it refuses.
 */
export async function unlessUnsavedKept<T>(
  force: boolean,
  work: (force: boolean) => Promise<T>,
): Promise<T> {
  if (force) return work(true);
  try {
    return await work(false);
  } catch (error) {
    const unsaved =
      error instanceof Error && (error as { code?: unknown }).code === 'UNSAVED' && error;
    if (unsaved === false || !process.stdin.isTTY || !process.stderr.isTTY) throw error;
    process.stderr.write(`${unsaved.message.split('\n').slice(1).join('\n')}\n`);
    if (!(await confirm('These files are not saved in the cache. Remove them anyway?'))) {
      throw error;
    }
    return work(true);
  }
}
