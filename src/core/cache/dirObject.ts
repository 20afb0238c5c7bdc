import { SluiceError } from '../errors.js';
import { md5Bytes } from '../hash/hashFile.js';
import { compareCodePoints, pyJsonDumps } from '../util/pyjson.js';

export interface DirEntry {
  relpath: string;
  md5: string;
}

/** The bytes of a `.dir` object: entries sorted by code point, dumped as Python's json would. */
export function serializeDirObject(entries: DirEntry[]): string {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  return pyJsonDumps(sorted.map((e) => ({ md5: e.md5, relpath: e.relpath })));
}

export function dirObjectHash(serialized: string): string {
  return md5Bytes(serialized) + '.dir';
}

/**
 * Parses a `.dir` object and refuses hostile content: relpaths must stay inside the directory
 * (no `..`, no absolute paths, no empty segments) before anything is written from them.
 */
export function parseDirObject(data: Buffer, oid: string): DirEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw corrupt(oid, 'not valid JSON');
  }
  if (!Array.isArray(parsed)) throw corrupt(oid, 'not a list');
  const entries: DirEntry[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null) throw corrupt(oid, 'an entry is not an object');
    const { md5, relpath } = item as { md5?: unknown; relpath?: unknown };
    if (typeof md5 !== 'string' || typeof relpath !== 'string') {
      throw corrupt(oid, 'an entry lacks md5 or relpath');
    }
    assertSafeRelpath(relpath, oid);
    entries.push({ md5, relpath });
  }
  return entries;
}

export function assertSafeRelpath(relpath: string, source: string): void {
  const segments = relpath.split('/');
  if (
    relpath.length === 0 ||
    relpath.startsWith('/') ||
    relpath.includes('\0') ||
    segments.some((s) => s === '..' || s === '.' || s === '')
  ) {
    throw new SluiceError('BAD_PATH', `refusing unsafe path '${relpath}' listed in '${source}'`);
  }
}

function corrupt(oid: string, reason: string): SluiceError {
  return new SluiceError('CORRUPT_OBJECT', `cache object '${oid}' is corrupted: ${reason}`);
}
