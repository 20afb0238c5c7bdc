import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { noteTempFolder, ownerField, ownTempOwner } from './tempFiles.js';

/** Most file systems allow 255 bytes per name; the temp suffix must not push a name past it. */
const MAX_NAME_BYTES = 255;

/**
 * What makes this thread's temporary names unique and tells whose they are: the owner (pid,
 * start time and host, see tempFiles.ts), a random tag drawn once per thread (worker threads
 * share the pid) and a count. Drawing random bytes for every name took a tenth of a second per
 * 10,000 files checked out.
 */
const THREAD_TAG = randomBytes(4).toString('hex');
let ownerPart: string | undefined;
let tempCount = 0;

/**
 * A temporary name in the same folder as `path`, so that the final rename is atomic:
 * `.NAME.PID-START-HOST.TAGCOUNT.tmp`. Every temporary file Sluice writes is named here (or by
 * `tempBaseName`, for remote folders), so that the sweep (`removeDeadTempsIn`) recognises
 * exactly these names and nothing else. The folder is noted in the command's record first.
 */
export function tempNameFor(path: string): string {
  const dir = dirname(path);
  noteTempFolder(dir);
  return join(dir, tempBaseName(basename(path)));
}

/** The temporary name (no folder) for a file named `base`, never longer than 255 bytes. */
export function tempBaseName(base: string): string {
  ownerPart ??= ownerField(ownTempOwner());
  tempCount += 1;
  const suffix = `.${ownerPart}.${THREAD_TAG}${tempCount.toString(36)}.tmp`;
  const room = MAX_NAME_BYTES - 1 - Buffer.byteLength(suffix);
  if (Buffer.byteLength(base) <= room) return `.${base}${suffix}`;
  // Cut whole code points, so a long non-ASCII name still gives a valid UTF-8 temp name.
  const kept: string[] = [];
  let bytes = 0;
  for (const ch of base) {
    bytes += Buffer.byteLength(ch);
    if (bytes > room) break;
    kept.push(ch);
  }
  return `.${kept.join('')}${suffix}`;
}

/** Writes `data` to a temporary file beside `path`, then renames it over `path`. */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  mode?: number,
): Promise<void> {
  const temp = tempNameFor(path);
  try {
    await writeFile(temp, data, mode === undefined ? undefined : { mode });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export function writeFileAtomicSync(path: string, data: string | Buffer, mode?: number): void {
  const temp = tempNameFor(path);
  try {
    writeFileSync(temp, data, mode === undefined ? undefined : { mode });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
