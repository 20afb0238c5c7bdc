import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Linker } from '../../../../src/core/3-objects/link.js';

/** Spare copies: a copy made during a download, which the next copy-placing of it takes. */
const work = mkdtempSync(join(tmpdir(), 'sluice-link-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let count = 0;
function file(content: string): string {
  count += 1;
  const path = join(work, `f${count}`);
  writeFileSync(path, content, { mode: 0o444 });
  return path;
}

describe('Linker spare copies', () => {
  it('places a spare copy by renaming it, once, then copies again', () => {
    const linker = new Linker(['reflink', 'copy']);
    const object = file('object bytes');
    const spare = file('object bytes');
    const spareInode = statSync(spare).ino;
    linker.offerSpare(object, spare);
    const first = join(work, 'first');
    expect(linker.link(object, first, true)).toBe('copy');
    expect(statSync(first).ino).toBe(spareInode);
    expect(statSync(first).mode & 0o777).toBe(0o744);
    expect(existsSync(spare)).toBe(false);
    const second = join(work, 'second');
    linker.link(object, second, false);
    expect(statSync(second).ino).not.toBe(spareInode);
    expect(readFileSync(second, 'utf8')).toBe('object bytes');
    expect(statSync(second).mode & 0o777).toBe(0o644);
  });

  it('leaves spares to hard links and removes the ones nothing took', () => {
    const linker = new Linker(['hardlink']);
    expect(linker.placesCopies).toBe(false);
    const object = file('linked');
    const spare = file('linked');
    linker.offerSpare(object, spare);
    const target = join(work, 'linked');
    expect(linker.link(object, target, false)).toBe('hardlink');
    expect(statSync(target).ino).toBe(statSync(object).ino);
    expect(existsSync(spare)).toBe(true);
    linker.discardSpares();
    expect(existsSync(spare)).toBe(false);
  });

  it('replaces an earlier spare of the same object', () => {
    const linker = new Linker(['copy']);
    const object = file('again');
    const earlier = file('again');
    const later = file('again');
    linker.offerSpare(object, earlier);
    linker.offerSpare(object, later);
    expect(existsSync(earlier)).toBe(false);
    const target = join(work, 'again');
    linker.link(object, target, false);
    expect(statSync(target).ino).not.toBe(statSync(object).ino);
    expect(existsSync(later)).toBe(false);
  });
});
