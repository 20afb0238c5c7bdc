import { SluiceError } from '../1-base/errors.js';
import { md5Bytes } from './hashFile.js';
import { compareCodePoints } from '../1-base/python.js';
import { pyJsonDumps } from '../1-base/pyjson.js';

export interface DirEntry {
  relpath: string;
  md5: string;
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\"\u0000-\u001f\u007f-\uffff]/;
const SURROGATE = /[\ud800-\udfff]/;
const MD5 = /^[0-9a-f]{32}$/;
/**
 * Segments without separators, NUL or backslash, none of them `.` or `..`: what every listing of
 * a real folder holds, accepted without assertSafeRelpath's closer look (10k entries per status).
 */
const PLAIN_RELPATH = /^(?!\.\.?(?:\/|$))[^/\\\0]+(?:\/(?!\.\.?(?:\/|$))[^/\\\0]+)*$/;
const GIT_SEGMENT = /(?:^|\/)\.git(?:\/|$)/;

function byUtf16(a: DirEntry, b: DirEntry): number {
  return a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0;
}

/**
 * The bytes of a `.dir` object: entries sorted by code point, dumped as Python's
 * `json.dumps(sort_keys=True)` would. This runs over every file of a tracked folder on each
 * status, so the common case (no astral characters, nothing to escape) takes a fast path; the
 * output is the same as `pyJsonDumps` of the list.
 */
export function serializeDirObject(entries: DirEntry[]): string {
  const sorted = [...entries];
  // UTF-16 order equals code-point order unless surrogates (astral characters) are involved.
  if (sorted.some((e) => SURROGATE.test(e.relpath))) {
    sorted.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  } else {
    sorted.sort(byUtf16);
  }
  const parts = new Array<string>(sorted.length);
  for (let i = 0; i < sorted.length; i += 1) {
    const { md5, relpath } = sorted[i];
    const quoted = NEEDS_ESCAPE.test(relpath) ? pyJsonDumps(relpath) : `"${relpath}"`;
    parts[i] = `{"md5": "${md5}", "relpath": ${quoted}}`;
  }
  return `[${parts.join(', ')}]`;
}

export function dirObjectHash(serialized: string): string {
  return md5Bytes(serialized) + '.dir';
}

/**
 * Parses a `.dir` object and refuses hostile content: relpaths must stay inside the directory
 * (no `..`, no absolute paths, no empty segments) before anything is written from them. With
 * `check: false` (an object that passed these checks before) only its shape is looked at.
 */
export function parseDirObject(
  data: Buffer,
  oid: string,
  options: { check?: boolean } = {},
): DirEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw corrupt(oid, 'not valid JSON');
  }
  if (!Array.isArray(parsed)) throw corrupt(oid, 'not a list');
  if (options.check === false) return parsed as DirEntry[];
  const entries: DirEntry[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== 'object' || item === null) throw corrupt(oid, 'an entry is not an object');
    const { md5, relpath } = item as { md5?: unknown; relpath?: unknown };
    if (typeof md5 !== 'string' || typeof relpath !== 'string') {
      throw corrupt(oid, 'an entry lacks md5 or relpath');
    }
    if (!MD5.test(md5)) {
      throw new SluiceError('BAD_PATH', `refusing invalid md5 '${md5}' listed in '${oid}'`);
    }
    if (!PLAIN_RELPATH.test(relpath)) assertSafeRelpath(relpath, oid);
    // A folder walk never lists `.git`; a listing that does would plant a repository config
    // (and its hooks) inside the workspace.
    if (GIT_SEGMENT.test(relpath)) {
      throw new SluiceError(
        'BAD_PATH',
        `refusing path '${relpath}' inside .git, listed in '${oid}'`,
      );
    }
    entries.push({ md5, relpath });
  }
  assertNoFileIsAFolder(entries, oid);
  return entries;
}

/** `a` and `a/b` cannot both be files: such a listing is forged, and checkout would half-fail. */
function assertNoFileIsAFolder(entries: DirEntry[], oid: string): void {
  const files = new Set(entries.map((e) => e.relpath));
  for (const { relpath } of entries) {
    for (let i = relpath.indexOf('/'); i !== -1; i = relpath.indexOf('/', i + 1)) {
      if (files.has(relpath.slice(0, i))) {
        throw new SluiceError(
          'BAD_PATH',
          `refusing '${oid}': '${relpath.slice(0, i)}' is listed both as a file and as a folder`,
        );
      }
    }
  }
}

export function assertSafeRelpath(relpath: string, source: string): void {
  const segments = relpath.split('/');
  if (
    relpath.length === 0 ||
    relpath.startsWith('/') ||
    relpath.includes('\0') ||
    segments.some((s) => s === '..' || s === '.' || s === '') ||
    // A backslash is an ordinary character of a POSIX name but a separator to DVC on Windows:
    // `..\\x` or `\\x` is refused too, so what is safe here is safe there.
    relpath.startsWith('\\') ||
    relpath.split(/[\\/]/).some((s) => s === '..')
  ) {
    throw new SluiceError('BAD_PATH', `refusing unsafe path '${relpath}' listed in '${source}'`);
  }
}

function corrupt(oid: string, reason: string): SluiceError {
  return new SluiceError('CORRUPT_OBJECT', `cache object '${oid}' is corrupted: ${reason}`);
}
