import { statSync } from 'node:fs';

/** What a walk needs to know of a file: what its stamp is made of, and whether it is a folder. */
export interface FileFacts {
  ino: number;
  mtimeMs: number;
  size: number;
  mode: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export function isDirectoryMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}

/** The raw stat of Node's fs binding: numbers in a shared array, no object built. */
type RawStat = (
  path: string,
  useBigint: false,
  request: undefined,
  throwIfNoEntry: false,
) => Float64Array | undefined;

/** Offsets in the binding's stat array (as Node's own getStatsFromBinding reads it). */
const MODE = 1;
const INO = 7;
const SIZE = 8;
const MTIME_SEC = 12;
const MTIME_NSEC = 13;

let rawStat: RawStat | undefined | null = null;

/**
 * Node 20 builds four Date objects for every fs.Stats. Over the 100,000 files of a no-op
 * `status`, building them and collecting them afterwards took a fifth of the time. Node's fs
 * binding answers the same numbers without them: `process.binding('fs')`, deprecated in the
 * documentation only (a warning with --pending-deprecation, when it is left alone). It is
 * used once it has answered a probe exactly as statSync does, else statSync is.
 */
function rawStatFunction(probe: string): RawStat | undefined {
  if (rawStat !== null) return rawStat;
  const pending =
    process.execArgv.includes('--pending-deprecation') ||
    (process.env.NODE_OPTIONS ?? '').includes('--pending-deprecation') ||
    process.env.NODE_PENDING_DEPRECATION === '1';
  if (pending) return (rawStat = undefined);
  try {
    const binding = (process as unknown as { binding(name: string): { stat?: unknown } }).binding(
      'fs',
    );
    if (typeof binding.stat !== 'function') return (rawStat = undefined);
    const candidate = binding.stat.bind(binding) as RawStat;
    const raw = candidate(probe, false, undefined, false);
    const stats = statSync(probe, { throwIfNoEntry: false });
    // Nothing there to compare: the next path is the probe.
    if (raw === undefined && stats === undefined) return undefined;
    const same =
      raw instanceof Float64Array &&
      stats !== undefined &&
      raw[INO] === stats.ino &&
      raw[SIZE] === stats.size &&
      raw[MODE] === stats.mode &&
      raw[MTIME_SEC] * 1000 + raw[MTIME_NSEC] / 1e6 === stats.mtimeMs;
    return (rawStat = same ? candidate : undefined);
  } catch {
    return (rawStat = undefined);
  }
}

/**
 * Fills `facts` with what stat says of `path` (links followed) and answers true, or answers
 * false when nothing is there. Other errors are thrown, as statSync throws them.
 */
export function statFacts(path: string, facts: FileFacts): boolean {
  const binding = rawStatFunction(path);
  if (binding !== undefined) {
    const raw = binding(path, false, undefined, false);
    if (raw === undefined) return false;
    facts.ino = raw[INO];
    facts.mtimeMs = raw[MTIME_SEC] * 1000 + raw[MTIME_NSEC] / 1e6;
    facts.size = raw[SIZE];
    facts.mode = raw[MODE];
    return true;
  }
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return false;
  facts.ino = stats.ino;
  facts.mtimeMs = stats.mtimeMs;
  facts.size = stats.size;
  facts.mode = stats.mode;
  return true;
}
