import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertSafeRelpath,
  dirObjectHash,
  parseDirObject,
  serializeDirObject,
  type DirEntry,
} from '../../../../src/core/3-objects/dirObject.js';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { dvcDataDir } from '../../../helpers/dvcDataOracle.js';

const SEED = Number(process.env.SLUICE_FC_SEED ?? 2202);
const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');
const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

/** Names a folder walk can produce: any code point (astral, controls, quotes, backslash) but `/` and NUL. */
const segment = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }),
    fc.constantFrom(
      'a',
      'a-b',
      'a.b',
      'A',
      'é',
      'e\u0301',
      '😀',
      '\uff5e',
      '"q"',
      'back\\slash',
      'tab\t',
    ),
  )
  .filter((s) => !s.includes('/') && !s.includes('\0') && s !== '.' && s !== '..' && s !== '.git');
const relpath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));

/** Listings as a walk makes them: unique paths, no file that is also a folder, no `..\\`. */
const listing = fc
  .uniqueArray(fc.record({ md5: hex32, relpath }), {
    selector: (e) => e.relpath,
    maxLength: 10,
  })
  .filter((list) => {
    const paths = new Set(list.map((e) => e.relpath));
    return list.every((e) => {
      const parts = e.relpath.split('/');
      const prefixesFree = parts
        .slice(0, -1)
        .every((_, i) => !paths.has(parts.slice(0, i + 1).join('/')));
      const safe = !e.relpath.startsWith('\\') && !e.relpath.split(/[\\/]/).includes('..');
      return prefixesFree && safe;
    });
  });

function refusal(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error('expected a SluiceError');
}

describe('.dir listings against real DVC (dvc_data)', () => {
  it('property: Sluice writes the bytes DVC writes, and reads what DVC reads', () => {
    const samples = fc.sample(listing, { seed: SEED, numRuns: 300 });
    const written = dvcDataDir(samples.map((entries) => ({ op: 'write', entries })));
    const read = dvcDataDir(
      written.map((w) => ({ op: 'read', bytes: w.bytes ?? Buffer.alloc(0) })),
    );
    let nonAscii = 0;
    samples.forEach((entries, i) => {
      const theirs = written[i]?.bytes;
      expect(theirs, JSON.stringify(entries)).toBeDefined();
      const ours = serializeDirObject(entries);
      expect(ours, JSON.stringify(entries)).toBe(theirs?.toString('utf8'));
      expect(dirObjectHash(ours)).toBe(`${md5(theirs ?? '')}.dir`);
      // Reading DVC's bytes gives the entries DVC reads from them, in the same order.
      const back = parseDirObject(theirs ?? Buffer.alloc(0), `${md5(theirs ?? '')}.dir`);
      expect(back).toEqual(read[i]?.entries);
      if (entries.some((e) => /[^\x20-\x7e]/.test(e.relpath))) nonAscii += 1;
    });
    // The generator does reach the escaping paths.
    expect(nonAscii).toBeGreaterThan(100);
  });

  it('a listing without astral characters is sorted too (by UTF-16 unit, as code points)', () => {
    const names = ['b', 'a0', '\uff5e', 'a/b', 'Z', 'a-b', 'é', 'a'];
    const entries: DirEntry[] = names.map((relpath, i) => ({ relpath, md5: md5(String(i)) }));
    const [theirs] = dvcDataDir([{ op: 'write', entries }]);
    const ours = serializeDirObject(entries);
    expect(ours).toBe(theirs?.bytes?.toString('utf8'));
    const order = (JSON.parse(ours) as DirEntry[]).map((e) => e.relpath);
    expect(order).toEqual(['Z', 'a', 'a-b', 'a/b', 'a0', 'b', 'é', '\uff5e']);
    // Already in order, or the other way round: the same bytes.
    expect(serializeDirObject([...entries].reverse())).toBe(ours);
  });

  it('order is by code point: astral after BMP, `a-b` before `a/b` before `a0`', () => {
    const entries: DirEntry[] = ['a0', '\uff5e', 'a/b', '😀', 'a-b', 'B', 'é'].map(
      (relpath, i) => ({
        relpath,
        md5: md5(String(i)),
      }),
    );
    const [theirs] = dvcDataDir([{ op: 'write', entries }]);
    expect(serializeDirObject(entries)).toBe(theirs?.bytes?.toString('utf8'));
    expect(serializeDirObject(entries)).toContain('"relpath": "\\uff5e"}, {"md5": "');
    expect(serializeDirObject([])).toBe('[]');
  });
});

describe('parseDirObject refuses hostile listings', () => {
  const good = md5('x');
  const parse = (value: unknown, check?: boolean): DirEntry[] =>
    parseDirObject(
      Buffer.from(JSON.stringify(value)),
      'o.dir',
      check === undefined ? {} : { check },
    );

  it('keeps the fields it needs, in order', () => {
    expect(
      parse([
        { md5: good, relpath: 'b', size: 3 },
        { relpath: 'a', md5: good },
      ]),
    ).toEqual([
      { md5: good, relpath: 'b' },
      { md5: good, relpath: 'a' },
    ]);
  });

  it.each([
    ['not JSON', '[{', 'CORRUPT_OBJECT', "cache object 'o.dir' is corrupted: not valid JSON"],
    ['not a list', '{}', 'CORRUPT_OBJECT', "cache object 'o.dir' is corrupted: not a list"],
    [
      'an entry not an object',
      '[1]',
      'CORRUPT_OBJECT',
      "cache object 'o.dir' is corrupted: an entry is not an object",
    ],
    [
      'a null entry',
      '[null]',
      'CORRUPT_OBJECT',
      "cache object 'o.dir' is corrupted: an entry is not an object",
    ],
    [
      'no md5',
      '[{"relpath": "a"}]',
      'CORRUPT_OBJECT',
      "cache object 'o.dir' is corrupted: an entry lacks md5 or relpath",
    ],
    [
      'no relpath',
      `[{"md5": "${good}"}]`,
      'CORRUPT_OBJECT',
      "cache object 'o.dir' is corrupted: an entry lacks md5 or relpath",
    ],
    [
      'a bad md5',
      '[{"md5": "XYZ", "relpath": "a"}]',
      'BAD_PATH',
      "refusing invalid md5 'XYZ' listed in 'o.dir'",
    ],
    [
      'an md5 with more',
      `[{"md5": "${good}0", "relpath": "a"}]`,
      'BAD_PATH',
      `refusing invalid md5 '${good}0' listed in 'o.dir'`,
    ],
  ])('%s', (_what, text, code, message) => {
    const error = refusal(() => parseDirObject(Buffer.from(text), 'o.dir'));
    expect([error.code, error.message]).toEqual([code, message]);
  });

  it.each([
    '../x',
    'a/../../x',
    '/etc/passwd',
    'a//b',
    './a',
    'a/.',
    '',
    'a/',
    '..\\x',
    '\\x',
    'a\\..\\b',
    'a\0b',
  ])('unsafe path %j', (path) => {
    const error = refusal(() => parse([{ md5: good, relpath: path }]));
    expect([error.code, error.message]).toEqual([
      'BAD_PATH',
      `refusing unsafe path '${path}' listed in 'o.dir'`,
    ]);
  });

  it.each(['.git/config', 'a/.git/hooks/x', '.git'])('a path inside .git: %s', (path) => {
    const error = refusal(() => parse([{ md5: good, relpath: path }]));
    expect([error.code, error.message]).toEqual([
      'BAD_PATH',
      `refusing path '${path}' inside .git, listed in 'o.dir'`,
    ]);
  });

  it('accepts names that only look like the refused ones', () => {
    const names = ['.gitignore', 'a/.github/x', 'x.git', '..a', 'a..', '.a/b', 'a\\b', 'a..\\b'];
    expect(parse(names.map((relpath) => ({ md5: good, relpath }))).map((e) => e.relpath)).toEqual(
      names,
    );
  });

  it('a path listed both as a file and as a folder', () => {
    for (const list of [
      ['a', 'a/b'],
      ['a/b/c', 'a/b'],
      ['x/y', 'x/y/z/w'],
    ]) {
      const error = refusal(() => parse(list.map((relpath) => ({ md5: good, relpath }))));
      const file = list.find((p) => list.some((q) => q.startsWith(`${p}/`)));
      expect([error.code, error.message]).toEqual([
        'BAD_PATH',
        `refusing 'o.dir': '${file}' is listed both as a file and as a folder`,
      ]);
    }
    expect(
      parse([
        { md5: good, relpath: 'a/b' },
        { md5: good, relpath: 'a-b' },
        { md5: good, relpath: 'ab/c' },
      ]),
    ).toHaveLength(3);
  });

  it('refuses each unsafe shape, whatever the fast path lets through', () => {
    // Named one by one (not through it.each) so a test id never holds a NUL or a backslash.
    const unsafe = ['..', '.', 'a/..', 'a/.', 'a//', '//', '\\x', '\\', 'a\0b', '\0', '/x'];
    for (const path of unsafe) {
      const error = refusal(() => parse([{ md5: good, relpath: path }]));
      expect([path, error.code]).toEqual([path, 'BAD_PATH']);
      expect(refusal(() => assertSafeRelpath(path, 'src')).message).toBe(
        `refusing unsafe path '${path}' listed in 'src'`,
      );
    }
  });

  it('check: false trusts an object checked before and only looks at its shape', () => {
    expect(parse([{ md5: 'x', relpath: '../y' }], false)).toEqual([{ md5: 'x', relpath: '../y' }]);
    expect(() => parse({}, false)).toThrow(/not a list/);
  });

  it('assertSafeRelpath names the source', () => {
    expect(() => assertSafeRelpath('a/b', 'src')).not.toThrow();
    expect(refusal(() => assertSafeRelpath('../b', 'data.dvc')).message).toBe(
      "refusing unsafe path '../b' listed in 'data.dvc'",
    );
  });
});
