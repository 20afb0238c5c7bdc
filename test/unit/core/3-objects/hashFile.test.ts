import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BLOCK_SIZE,
  dos2unixChunk,
  isTextBlock,
  md5Bytes,
  md5File,
  md5FileSync,
} from '../../../../src/core/3-objects/hashFile.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-hash-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

function file(name: string, data: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** DVC's text test, written independently: printable ASCII and \n \r \t \f \b are text. */
function referenceIsText(block: Buffer): boolean {
  const sample = block.subarray(0, 512);
  if (sample.length === 0) return true;
  if (sample.includes(0)) return false;
  const text = new Set([...Array(95).keys()].map((i) => i + 32).concat([10, 13, 9, 12, 8]));
  const nonText = [...sample].filter((b) => !text.has(b)).length;
  return nonText / sample.length <= 0.3;
}

/** The legacy hash, chunk by chunk: CRLF → LF in text chunks, as DVC 2.x hashed. */
function referenceLegacy(data: Buffer): string {
  const hash = createHash('md5');
  for (let at = 0; at < data.length || at === 0; at += BLOCK_SIZE) {
    const chunk = data.subarray(at, at + BLOCK_SIZE);
    hash.update(
      referenceIsText(chunk)
        ? Buffer.from(chunk.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')
        : chunk,
    );
    if (data.length === 0) break;
  }
  return hash.digest('hex');
}

describe('md5 of files', () => {
  it('is the md5 of the bytes, across block boundaries, sync and async', async () => {
    for (const size of [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, 2 * BLOCK_SIZE + 7]) {
      const data = randomBytes(size);
      const path = file(`f${size}`, data);
      expect(md5FileSync(path), `${size}`).toBe(md5(data));
      expect(await md5File(path), `${size}`).toBe(md5(data));
    }
    expect(md5Bytes('abc')).toBe(md5('abc'));
    expect(md5Bytes(Buffer.from([0, 1, 2]))).toBe(md5(Buffer.from([0, 1, 2])));
  });

  it('reports the bytes read as it goes', async () => {
    const path = file('big', randomBytes(2 * BLOCK_SIZE + 5));
    const seen: number[] = [];
    await md5File(path, 'md5', (n) => seen.push(n));
    expect(seen).toEqual([BLOCK_SIZE, BLOCK_SIZE, 5]);
  });

  it('legacy: converts CRLF in text, not in binary, chunk by chunk', async () => {
    const text = 'a\r\nb\r\n\r\nc\rd\r\r\n';
    const path = file('t', text);
    expect(md5FileSync(path, 'md5-dos2unix')).toBe(md5('a\nb\n\nc\rd\r\n'));
    expect(await md5File(path, 'md5-dos2unix')).toBe(md5('a\nb\n\nc\rd\r\n'));
    expect(md5FileSync(path)).toBe(md5(text));
    expect(await md5File(path)).toBe(md5(text));
    expect(await md5File(path, 'md5')).toBe(md5(text));
    const binary = Buffer.from('x\r\n\0y\r\n');
    expect(md5FileSync(file('b', binary), 'md5-dos2unix')).toBe(md5(binary));
    // A CRLF split across two 1 MiB chunks stays; the second chunk is judged on its own.
    const split = Buffer.alloc(BLOCK_SIZE + 4, 'x');
    split[BLOCK_SIZE - 1] = 0x0d;
    split[BLOCK_SIZE] = 0x0a;
    split.write('\r\n\0', BLOCK_SIZE + 1, 'latin1');
    const splitPath = file('s', split);
    expect(md5FileSync(splitPath, 'md5-dos2unix')).toBe(referenceLegacy(split));
    expect(md5FileSync(splitPath, 'md5-dos2unix')).toBe(md5(split));
    expect(await md5File(splitPath, 'md5-dos2unix')).toBe(md5(split));
    const mixed = Buffer.concat([Buffer.alloc(BLOCK_SIZE, 0), Buffer.from('a\r\nb')]);
    expect(await md5File(file('m', mixed), 'md5-dos2unix')).toBe(
      md5(Buffer.concat([Buffer.alloc(BLOCK_SIZE, 0), Buffer.from('a\nb')])),
    );
  });
});

describe('isTextBlock', () => {
  it('empty is text, a NUL is binary, at most 30% non-text bytes', () => {
    expect(isTextBlock(Buffer.alloc(0))).toBe(true);
    expect(isTextBlock(Buffer.from('abc\0'))).toBe(false);
    const block = (nonText: number, byte = 0x80): Buffer => {
      const b = Buffer.alloc(512, 'a');
      b.fill(byte, 0, nonText);
      return b;
    };
    expect(isTextBlock(block(153))).toBe(true); // 29.9%
    expect(isTextBlock(block(154))).toBe(false); // 30.1%
    expect(
      isTextBlock(Buffer.from([0x80, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61])),
    ).toBe(true); // 10%
    expect(
      isTextBlock(Buffer.from([0x80, 0x80, 0x80, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61])),
    ).toBe(true); // exactly 30%
    // Only the first 512 bytes are looked at.
    const late = Buffer.concat([Buffer.alloc(512, 'a'), Buffer.alloc(512, 0)]);
    expect(isTextBlock(late)).toBe(true);
  });

  it('agrees with the reference on every byte value and on random blocks', () => {
    for (let byte = 0; byte < 256; byte += 1) {
      const b = Buffer.alloc(10, 'a');
      b.fill(byte, 0, 4); // 40%: text only if the byte is
      expect(isTextBlock(b), `byte ${byte}`).toBe(referenceIsText(b));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const b = Buffer.from(bytes);
        expect(isTextBlock(b)).toBe(referenceIsText(b));
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});

describe('dos2unixChunk', () => {
  it('matches the reference on random text with CR and LF', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '\r', '\n', '\r\n', 'é', '\t'), { maxLength: 60 }),
        (parts) => {
          const chunk = Buffer.from(parts.join(''), 'latin1');
          const expected = referenceIsText(chunk)
            ? Buffer.from(chunk.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')
            : chunk;
          expect(dos2unixChunk(chunk).equals(expected)).toBe(true);
        },
      ),
      { seed: 20261207, numRuns: 500 },
    );
  });

  it('leaves binary and CRLF-free chunks as they are', () => {
    const binary = Buffer.from('a\r\n\0');
    expect(dos2unixChunk(binary).equals(binary)).toBe(true);
    expect(dos2unixChunk(Buffer.from('a\nb\r')).toString()).toBe('a\nb\r');
    expect(dos2unixChunk(Buffer.from('\r\n')).toString()).toBe('\n');
    expect(dos2unixChunk(Buffer.from('\r\n\r\nx')).toString()).toBe('\n\nx');
  });
});
