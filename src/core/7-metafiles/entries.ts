import type { HashName } from '../3-objects/hashFile.js';
import type { HashInfo, RecordedState } from './stage.js';

export type EntryObject = Record<string, unknown>;

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length === 0 ? undefined : value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/**
 * Reads the recorded hash and meta of an out/dep entry. An entry with `hash: md5` is a 3.x
 * entry; one with an md5 and no `hash` key is legacy (md5-dos2unix, legacy cache location).
 */
export function readRecordedState(entry: EntryObject): RecordedState {
  const state: RecordedState = {};
  const md5 = asString(entry.md5);
  if (md5 !== undefined) {
    const name: HashName = entry.hash === 'md5' ? 'md5' : 'md5-dos2unix';
    state.hash = { name, value: md5.toLowerCase() };
  }
  const size = asNumber(entry.size);
  if (size !== undefined) state.size = size;
  const nfiles = asNumber(entry.nfiles);
  if (nfiles !== undefined) state.nfiles = nfiles;
  if (entry.isexec === true) state.isexec = true;
  const etag = asString(entry.etag);
  if (etag !== undefined) state.etag = etag;
  const checksum = asString(entry.checksum);
  if (checksum !== undefined) state.checksum = checksum;
  return state;
}

/** The 3.x key order of a new entry: md5, size, nfiles, isexec, hash, path. */
export function newEntry(path: string, state: RecordedState): EntryObject {
  const entry: EntryObject = {};
  writeStateInto(entry, state);
  entry.path = path;
  return entry;
}

/**
 * Updates an existing entry in place the way DVC's round-trip diff does: keys already present
 * keep their place, new keys are appended, keys that no longer apply are removed.
 */
export function writeStateInto(entry: EntryObject, state: RecordedState): void {
  const hash: HashInfo | undefined = state.hash;
  setOrDelete(entry, 'md5', hash?.value);
  setOrDelete(entry, 'size', state.size);
  setOrDelete(entry, 'nfiles', state.nfiles);
  setOrDelete(entry, 'isexec', state.isexec === true ? true : undefined);
  setOrDelete(entry, 'hash', hash?.name === 'md5' ? 'md5' : undefined);
}

function setOrDelete(entry: EntryObject, key: string, value: unknown): void {
  if (value === undefined) {
    delete entry[key];
  } else {
    entry[key] = value;
  }
}

export function sameHash(a: HashInfo | undefined, b: HashInfo | undefined): boolean {
  return a !== undefined && b !== undefined && a.value === b.value && a.name === b.name;
}

const CANONICAL_HEAD = ['md5', 'etag', 'checksum', 'size', 'nfiles', 'isexec', 'hash', 'path'];

/**
 * Puts an entry's keys in the order DVC gives a new entry (hash and meta, `hash`, `path`, then
 * the flags as they were). Used when an entry gets its first hash, since DVC writes such a
 * stage file whole.
 */
export function canonicalizeEntry(entry: EntryObject): void {
  const saved = { ...entry };
  for (const key of Object.keys(entry)) delete entry[key];
  for (const key of CANONICAL_HEAD) if (key in saved) entry[key] = saved[key];
  for (const [key, value] of Object.entries(saved)) if (!(key in entry)) entry[key] = value;
}

/** The `outs` entry of an import's `.dvc` file: just the path until the data is there. */
export function importedOutEntry(
  path: string,
  out: { hash: string; size: number; nfiles?: number | undefined } | undefined,
): EntryObject {
  if (out === undefined) return { hash: 'md5', path };
  const entry: EntryObject = { md5: out.hash, size: out.size };
  if (out.nfiles !== undefined) entry.nfiles = out.nfiles;
  entry.hash = 'md5';
  entry.path = path;
  return entry;
}
