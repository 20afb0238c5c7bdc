import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { md5File } from '../3-objects/hashFile.js';

/**
 * The local file an upload was reading does not hash to the md5 it was uploaded under (a cache
 * object damaged on disk, or changed through a hard link). Nothing became visible under the key.
 */
export class CorruptSourceError extends Error {
  constructor(
    readonly path: string,
    readonly actual: string,
  ) {
    super(`'${path}' is corrupted (its content hashes to ${actual})`);
    this.name = 'CorruptSourceError';
  }
}

/** The CorruptSourceError in an error or its `cause` chain (SDKs wrap a failed body's error). */
export function corruptSourceIn(error: unknown): CorruptSourceError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof CorruptSourceError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Throws unless `data`, read from `path` to be sent, hashes to `md5` (when one is asked for). */
export function checkBytes(data: Uint8Array, md5: string | undefined, path: string): void {
  if (md5 === undefined) return;
  const actual = createHash('md5').update(data).digest('hex');
  if (actual !== md5) throw new CorruptSourceError(path, actual);
}

/**
 * For the backends that upload from a path and read it themselves (Azure's block upload, SFTP's
 * parallel reads): the file is hashed on the side, and the upload is not made visible (renamed,
 * or started, where the service commits by itself) until the hash is known to match.
 */
export async function checkFile(path: string, md5: string | undefined): Promise<void> {
  if (md5 === undefined) return;
  const actual = await md5File(path);
  if (actual !== md5) throw new CorruptSourceError(path, actual);
}

/**
 * A read stream of `path` that hashes its bytes as they go and holds the last chunk back until
 * the end: the consumer gets every byte only when they hash to `md5`, otherwise the stream fails
 * with a CorruptSourceError before the end, so a streamed PUT or multipart upload never completes.
 */
export function verifiedReadStream(path: string, md5: string | undefined): Readable {
  const source = createReadStream(path, { highWaterMark: 1024 * 1024 });
  if (md5 === undefined) return source;
  const hash = createHash('md5');
  let held: Buffer | undefined;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush(done) {
      const actual = hash.digest('hex');
      if (actual !== md5) {
        done(new CorruptSourceError(path, actual));
        return;
      }
      if (held !== undefined) this.push(held);
      done();
    },
  });
  source.on('error', (error) => check.destroy(error));
  return source.pipe(check);
}
