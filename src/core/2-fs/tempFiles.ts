import { createHash } from 'node:crypto';
import { appendFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errnoCode } from '../1-base/errors.js';

/**
 * Who owns a temporary file: every temporary name Sluice makes (see `tempNameFor`) carries the
 * writing process's pid, its start time and a tag of its host, so that a later command can tell
 * a write in progress from the leftover of a killed one and remove only the latter.
 */
export interface TempOwner {
  pid: number;
  /** Start time of the process (Linux: clock ticks since boot); undefined where unknown. */
  start: number | undefined;
  /** The first 6 hex digits of the md5 of the host name; undefined in older names. */
  host: string | undefined;
}

/** What a sweep removed. */
export interface Reclaimed {
  files: number;
  bytes: number;
}

export const nothingReclaimed = (): Reclaimed => ({ files: 0, bytes: 0 });

export function addReclaimed(into: Reclaimed, from: Reclaimed): void {
  into.files += from.files;
  into.bytes += from.bytes;
}

/**
 * A temporary file of another host cannot be checked against its processes: it is taken for a
 * leftover only when it has not changed for this long (a write in progress keeps touching it).
 */
export const FOREIGN_TEMP_GRACE_MS = 60 * 60 * 1000;

/** The start time of a process from `/proc/PID/stat` (field 22); undefined without /proc. */
export function processStartTime(pid: number): number | undefined | 'gone' {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    const code = errnoCode(error);
    // No such process; or no /proc at all (macOS, Windows), told apart by our own entry.
    if (code === 'ENOENT' || code === 'ESRCH') return hasProc() ? 'gone' : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[22 - 3]);
  return Number.isSafeInteger(start) ? start : undefined;
}

let procChecked: boolean | undefined;
function hasProc(): boolean {
  if (procChecked === undefined) {
    try {
      lstatSync('/proc/self/stat');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

let own: TempOwner | undefined;

/** This process as the owner of its temporary files (read once per thread). */
export function ownTempOwner(): TempOwner {
  if (own === undefined) {
    const start = processStartTime(process.pid);
    own = {
      pid: process.pid,
      start: typeof start === 'number' ? start : undefined,
      host: hostTag(hostname()),
    };
  }
  return own;
}

export function hostTag(name: string): string {
  return createHash('md5').update(name).digest('hex').slice(0, 6);
}

/** The owner part of a temporary name: `PID-START-HOST`, or `PID-HOST` without a start time. */
export function ownerField(owner: TempOwner): string {
  const start = owner.start === undefined ? '' : `-${owner.start}`;
  return `${owner.pid}${start}-${owner.host ?? '000000'}`;
}

/** `.NAME.PID[-START]-HOST.TAG.tmp`, TAG being 8 hex digits of the thread and a base-36 count. */
const TEMP_NAME =
  /^\.(?:.*)\.(\d{1,10})(?:-(\d{1,20}))?-([0-9a-f]{6})\.[0-9a-f]{8}[0-9a-z]{1,13}\.tmp$/s;
/** What versions before the owner-tagged names wrote in the cache: `.NAME.PID.TAG.tmp`, `.tmp-PID-RANDOM`. */
const OLD_CACHE_NAMES = [
  /^\.(?:.+)\.(\d{1,10})\.[0-9a-f]{8}[0-9a-z]{1,13}\.tmp$/s,
  /^\.tmp-(\d{1,10})-[0-9a-z]{1,16}$/,
];

/**
 * The owner of a temporary name Sluice made, or undefined for any other name. `legacy` also
 * accepts the names older versions wrote (for places only Sluice writes: the cache).
 */
export function parseTempName(name: string, legacy = false): TempOwner | undefined {
  const match = TEMP_NAME.exec(name);
  if (match !== null) {
    return {
      pid: Number(match[1]),
      start: match[2] === undefined ? undefined : Number(match[2]),
      host: match[3],
    };
  }
  if (!legacy) return undefined;
  for (const pattern of OLD_CACHE_NAMES) {
    const old = pattern.exec(name);
    if (old !== null) return { pid: Number(old[1]), start: undefined, host: undefined };
  }
  return undefined;
}

/** Is the process that owned a temporary file gone? (`changedMs`: when the file last changed.) */
export function isTempOwnerGone(owner: TempOwner, changedMs: number, now = Date.now()): boolean {
  const self = ownTempOwner();
  if (owner.host !== self.host) return now - changedMs > FOREIGN_TEMP_GRACE_MS;
  if (owner.pid === self.pid) {
    // Our own pid: ours unless the start time says it was a process before us.
    return owner.start !== undefined && self.start !== undefined && owner.start !== self.start;
  }
  const start = processStartTime(owner.pid);
  if (start === 'gone') return true;
  if (start !== undefined) return owner.start !== undefined && start !== owner.start;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) === 'ESRCH';
  }
}

export interface SweepOptions {
  /** Also the names older versions wrote (only where Sluice alone writes: the cache). */
  legacy?: boolean;
  /** Called for each file removed. */
  onRemoved?: (path: string) => void;
}

/**
 * Removes from one folder (not below) the temporary files whose owners are gone: names that
 * match Sluice's pattern exactly, regular files only (a symlink or folder of that name is left
 * alone). A folder that is not there sweeps as empty.
 */
export function removeDeadTempsIn(dir: string, options: SweepOptions = {}): Reclaimed {
  const reclaimed = nothingReclaimed();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return reclaimed;
  }
  const now = Date.now();
  for (const name of names) {
    // Cheap test first: every temp name (new or old) starts with a dot.
    if (name.charCodeAt(0) !== 46) continue;
    const owner = parseTempName(name, options.legacy === true);
    if (owner === undefined) continue;
    const path = join(dir, name);
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats === undefined || !stats.isFile()) continue;
    if (!isTempOwnerGone(owner, stats.mtimeMs, now)) continue;
    try {
      rmSync(path);
    } catch {
      continue; // gone meanwhile, or not ours to remove: never fatal
    }
    reclaimed.files += 1;
    reclaimed.bytes += stats.size;
    options.onRemoved?.(path);
  }
  return reclaimed;
}

// ---- the record of the folders a command writes temporary files into ---------------------------

let recordPath: string | undefined;
const recorded = new Set<string>();

/**
 * Starts (or, with undefined, ends) recording into `path` every folder this process makes a
 * temporary name in, so that if it is killed the next command knows where to look. The folder
 * is written before the name is returned, so before any temporary file exists in it.
 */
export function recordTempFoldersIn(path: string | undefined): void {
  if (path === undefined && recordPath !== undefined) rmSync(recordPath, { force: true });
  recordPath = path;
  recorded.clear();
}

/** Called by `tempNameFor` for the folder of each temporary name. */
export function noteTempFolder(dir: string): void {
  if (recordPath === undefined || recorded.has(dir)) return;
  recorded.add(dir);
  try {
    appendFileSync(recordPath, `${dir}\n`);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') return; // a read-only .dvc/tmp only costs a wider sweep
    try {
      mkdirSync(join(recordPath, '..'), { recursive: true });
      appendFileSync(recordPath, `${dir}\n`);
    } catch {
      // as above
    }
  }
}

/** The record's file name for an owner (what `readTempRecords` parses back). */
export function recordNameFor(owner: TempOwner): string {
  return `${ownerField(owner)}.folders`;
}

const RECORD_NAME = /^(\d{1,10})(?:-(\d{1,20}))?-([0-9a-f]{6})\.folders$/;

export interface TempRecord {
  path: string;
  owner: TempOwner;
  folders: string[];
}

/** The records in `dir` whose owners are gone (a record of a live command is left alone). */
export function deadTempRecords(dir: string): TempRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const dead: TempRecord[] = [];
  for (const name of names) {
    const match = RECORD_NAME.exec(name);
    if (match === null) continue;
    const owner: TempOwner = {
      pid: Number(match[1]),
      start: match[2] === undefined ? undefined : Number(match[2]),
      host: match[3],
    };
    const path = join(dir, name);
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats === undefined || !stats.isFile()) continue;
    if (!isTempOwnerGone(owner, stats.mtimeMs)) continue;
    let folders: string[];
    try {
      folders = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line !== '');
    } catch {
      folders = [];
    }
    dead.push({ path, owner, folders });
  }
  return dead;
}
