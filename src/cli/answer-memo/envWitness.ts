/**
 * Which environment variables a run read, for its remembered answer (see rememberedAnswer.ts):
 * while watched, `process.env` is a Proxy that notes the first value each variable had when the
 * run looked at it, absent ones too. Like the file reads answerRecorder.ts watches, this makes
 * the witness of the environment what the code did read rather than a list kept beside it,
 * which a new reader (`XDG_CONFIG_DIRS`, say) could be missing from.
 *
 * The CLI's entry starts watching before it loads the CLI's modules, so that a variable read
 * as a module loads is seen too. This module is loaded with rememberedAnswer.ts, before
 * anything else: it imports nothing.
 */

/** A variable read, and the value it had then; null when it was unset. */
export type EnvRead = [name: string, value: string | null];

/** What a run read of the environment. */
export interface EnvWitness {
  reads: EnvRead[];
  /**
   * The names of every variable, sorted and joined by NUL, when the run listed them all (to
   * copy the environment, say): a variable added later changes that listing.
   */
  names?: string;
}

/**
 * Variables that Node and ICU read beneath JavaScript, where no Proxy sees them: the time
 * zone and the locale, which dates and `Intl` follow. os.homedir and os.tmpdir read theirs
 * natively too; answerRecorder.ts notes those when they are called.
 */
export const NATIVE_VARIABLES = ['TZ', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'LC_TIME'];

interface Watch {
  original: NodeJS.ProcessEnv;
  reads: Map<string, string | null>;
  /** Variables the run set or deleted itself: a later read of them shows the run's own value. */
  written: Set<string>;
  listed: boolean;
}

let watch: Watch | undefined;

/** Starts noting the variables the run reads; does nothing when already watching. */
export function watchEnvironment(): void {
  if (watch !== undefined) return;
  const original = process.env;
  const current: Watch = { original, reads: new Map(), written: new Set(), listed: false };
  const note = (name: string | symbol): void => {
    if (typeof name === 'string') noteRead(current, name);
  };
  const proxy = new Proxy(original, {
    get(target, name) {
      note(name);
      return Reflect.get(target, name) as unknown;
    },
    has(target, name) {
      note(name);
      return Reflect.has(target, name);
    },
    getOwnPropertyDescriptor(target, name) {
      note(name);
      return Reflect.getOwnPropertyDescriptor(target, name);
    },
    ownKeys(target) {
      current.listed = true;
      return Reflect.ownKeys(target);
    },
    set(target, name, value) {
      if (typeof name === 'string') current.written.add(name);
      return Reflect.set(target, name, value);
    },
    defineProperty(target, name, descriptor) {
      if (typeof name === 'string') current.written.add(name);
      return Reflect.defineProperty(target, name, descriptor);
    },
    deleteProperty(target, name) {
      if (typeof name === 'string') current.written.add(name);
      return Reflect.deleteProperty(target, name);
    },
  });
  watch = current;
  for (const name of NATIVE_VARIABLES) noteRead(current, name);
  process.env = proxy;
}

/** Notes a read made where the Proxy does not see it (os.homedir reads HOME natively). */
export function noteEnvironmentRead(name: string): void {
  if (watch !== undefined) noteRead(watch, name);
}

function noteRead(current: Watch, name: string): void {
  if (current.reads.has(name) || current.written.has(name)) return;
  current.reads.set(name, current.original[name] ?? null);
}

/**
 * Stops watching and puts the real `process.env` back; what the run read, or undefined when
 * nothing was being watched.
 */
export function stopWatchingEnvironment(): EnvWitness | undefined {
  const current = watch;
  if (current === undefined) return undefined;
  watch = undefined;
  process.env = current.original;
  const reads = [...current.reads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return current.listed ? { reads, names: environmentNames() } : { reads };
}

/** Does the environment still hold what the run read? */
export function environmentUnchanged(witness: EnvWitness): boolean {
  const env = process.env;
  for (const [name, value] of witness.reads) {
    if ((env[name] ?? null) !== value) return false;
  }
  return witness.names === undefined || witness.names === environmentNames();
}

function environmentNames(): string {
  return Object.keys(process.env).sort().join('\0');
}
