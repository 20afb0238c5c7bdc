import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** DVC reads files in 1 MiB blocks; node's 64 KiB stream default halves md5 throughput here. */
export const BLOCK_SIZE = 1024 * 1024;

export type HashName = 'md5' | 'md5-dos2unix';

let sharedBuffer: Buffer | undefined;

function blockBuffer(): Buffer {
  sharedBuffer ??= Buffer.allocUnsafe(BLOCK_SIZE);
  return sharedBuffer;
}

/**
 * Synchronous md5 of a file. Used for the many small files of a directory, where the promise
 * machinery of async reads costs more than the read itself.
 */
export function md5FileSync(path: string, name: HashName = 'md5'): string {
  const fd = openSync(path, 'r');
  try {
    const hash = createHash('md5');
    const buffer = blockBuffer();
    for (;;) {
      const n = readSync(fd, buffer, 0, BLOCK_SIZE, null);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      hash.update(name === 'md5' ? chunk : dos2unixChunk(chunk));
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** Asynchronous md5 of a (large) file, reading 1 MiB blocks. */
export async function md5File(
  path: string,
  name: HashName = 'md5',
  onProgress?: (bytes: number) => void,
): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('md5');
    const buffer = Buffer.allocUnsafe(BLOCK_SIZE);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, BLOCK_SIZE, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(name === 'md5' ? chunk : dos2unixChunk(chunk));
      onProgress?.(bytesRead);
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

export function md5Bytes(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * DVC's "istextblock" on the first 512 bytes: empty is text, a NUL byte is binary, otherwise the
 * share of bytes outside printable ASCII and \n \r \t \f \b must be at most 30%.
 */
export function isTextBlock(block: Buffer): boolean {
  const sample = block.subarray(0, 512);
  if (sample.length === 0) return true;
  let nonText = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    const printable =
      (byte >= 0x20 && byte <= 0x7e) ||
      byte === 0x0a ||
      byte === 0x0d ||
      byte === 0x09 ||
      byte === 0x0c ||
      byte === 0x08;
    if (!printable) nonText += 1;
  }
  return nonText / sample.length <= 0.3;
}

/**
 * The 3.x legacy (md5-dos2unix) hasher decides text-or-binary separately for every 1 MiB chunk,
 * and a CRLF split across two chunks is not converted.
 */
export function dos2unixChunk(chunk: Buffer): Buffer {
  if (!isTextBlock(chunk)) return chunk;
  const first = chunk.indexOf('\r\n');
  if (first === -1) return chunk;
  const out = Buffer.allocUnsafe(chunk.length);
  let written = 0;
  let start = 0;
  let at = first;
  while (at !== -1) {
    written += chunk.copy(out, written, start, at);
    out[written++] = 0x0a;
    start = at + 2;
    at = chunk.indexOf('\r\n', start);
  }
  written += chunk.copy(out, written, start);
  return out.subarray(0, written);
}
