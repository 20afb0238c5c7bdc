/**
 * Which environment variables a run read, for its remembered answer (see rememberedAnswer.ts):
 * the core reads the environment through `readEnv` (src/core/2-fs/readObserver.ts), which
 * tells the run's recorder each name; the recorder keeps the value each had. This module is
 * loaded with rememberedAnswer.ts, before anything else: it imports nothing.
 */

/** A variable read, and the value it had then; null when it was unset. */
export type EnvRead = [name: string, value: string | null];

/** What a run read of the environment. */
export interface EnvWitness {
  reads: EnvRead[];
}

/**
 * Variables that Node and ICU read beneath JavaScript, where the core's `readEnv` is not
 * called: the time zone and the locale, which dates and `Intl` follow, and Node's own options.
 * Every answer is witnessed by them.
 */
export const NATIVE_VARIABLES = [
  'TZ',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'LC_TIME',
  'NODE_OPTIONS',
];

/** The witness of the variables `names`, with the values they have now, sorted by name. */
export function environmentWitness(names: Iterable<string>): EnvWitness {
  const reads: EnvRead[] = [...new Set(names)]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => [name, process.env[name] ?? null]);
  return { reads };
}

/** Does the environment still hold what the run read? */
export function environmentUnchanged(witness: EnvWitness): boolean {
  const env = process.env;
  for (const [name, value] of witness.reads) {
    if ((env[name] ?? null) !== value) return false;
  }
  return true;
}
