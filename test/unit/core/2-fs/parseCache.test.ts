import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ParseCache } from '../../../../src/core/2-fs/parseCache.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';

const dirs: string[] = [];
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-parse-cache-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ParseCache', () => {
  it('parses once per text and gives back equal values, Python floats and NaN included', () => {
    const dir = cacheDir();
    const value = {
      lr: new PyFloat(1),
      rate: 0.5,
      odd: [Number.NaN, Infinity, -Infinity],
      big: 12345678901234567890n,
      name: 'ünï',
      nested: { list: [1, 'two', null, true] },
    };
    let parses = 0;
    const parse = (): typeof value => {
      parses++;
      return value;
    };
    expect(new ParseCache(dir).get('p', 'text', parse)).toBe(value);
    const again = new ParseCache(dir).get('p', 'text', parse);
    expect(parses).toBe(1);
    expect(again.lr).toBeInstanceOf(PyFloat);
    expect(again.lr.value).toBe(1);
    expect(again.odd[0]).toBeNaN();
    expect(again.odd.slice(1)).toEqual([Infinity, -Infinity]);
    expect(again.big).toBe(12345678901234567890n);
    expect(again).toEqual({ ...value, lr: again.lr, odd: again.odd });
  });

  it('keys by parser and text: another text or parser is parsed afresh', () => {
    const dir = cacheDir();
    const cache = new ParseCache(dir);
    expect(cache.get('a', 'one', () => 1)).toBe(1);
    expect(cache.get('a', 'two', () => 2)).toBe(2);
    expect(cache.get('b', 'one', () => 3)).toBe(3);
    expect(cache.get('a', 'one', () => 4)).toBe(1);
  });

  it('ignores a damaged entry and a parse that throws is not remembered', () => {
    const dir = cacheDir();
    const cache = new ParseCache(dir);
    cache.get('p', 'x', () => ({ ok: true }));
    const [entry] = readdirSync(dir);
    writeFileSync(join(dir, entry ?? ''), '{"format": 1, "value": ');
    expect(cache.get('p', 'x', () => ({ ok: 'again' }))).toEqual({ ok: 'again' });
    expect(() =>
      cache.get('p', 'bad', () => {
        throw new Error('malformed');
      }),
    ).toThrow('malformed');
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('keeps at most 64 entries, dropping the oldest', () => {
    const dir = cacheDir();
    const cache = new ParseCache(dir);
    cache.get('p', 'oldest', () => 0);
    const [oldest] = readdirSync(dir);
    utimesSync(join(dir, oldest ?? ''), 1, 1);
    for (let i = 1; i <= 64; i++) cache.get('p', `text ${i}`, () => i);
    const names = readdirSync(dir);
    expect(names).toHaveLength(64);
    expect(names).not.toContain(oldest);
  });

  it('works without a writable folder (only slower)', () => {
    const dir = join(cacheDir(), 'file');
    writeFileSync(dir, 'not a folder');
    const cache = new ParseCache(dir);
    expect(cache.get('p', 't', () => 7)).toBe(7);
    expect(cache.get('p', 't', () => 8)).toBe(8);
  });
});
