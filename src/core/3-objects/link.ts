import {
  chmodSync,
  copyFileSync,
  constants as fsConstants,
  linkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import { tempNameFor } from '../2-fs/atomicWrite.js';
import { translateWriteError } from './objectStore.js';

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';

const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];
/** DVC makes an executable workspace copy 0644 plus the owner's exec bit. */
export const EXEC_MODE = 0o744;

export const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];

/** Errors that mean "this link type is not supported here", so the next type is tried. */
const UNSUPPORTED = new Set([
  'EPERM',
  'ENOTSUP',
  'EOPNOTSUPP',
  'EXDEV',
  'ENOTTY',
  'ENOSYS',
  'EINVAL',
  'EAGAIN',
  'EMLINK',
]);

/** Parses `cache.type` ("reflink,copy" or a list). */
export function parseLinkTypes(value: string | string[] | undefined): LinkType[] {
  if (value === undefined) return [...DEFAULT_LINK_TYPES];
  const items = (Array.isArray(value) ? value : value.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const types: LinkType[] = [];
  for (const item of items) {
    if (!(LINK_TYPES as readonly string[]).includes(item)) {
      throw new SluiceError(
        'CONFIG',
        `config file error: unsupported cache type '${item}' in cache.type`,
        { hint: `use a comma-separated list of ${LINK_TYPES.join(', ')}` },
      );
    }
    types.push(item as LinkType);
  }
  return types.length === 0 ? [...DEFAULT_LINK_TYPES] : types;
}

/**
 * Places cache objects into the workspace with the first link type that works, remembering
 * which one did so later files skip the failed attempts.
 */
export class Linker {
  private readonly types: LinkType[];
  private readonly spares = new Map<string, string>();

  constructor(types: readonly LinkType[]) {
    this.types = [...types];
  }

  get preferred(): LinkType {
    return this.types[0] ?? 'copy';
  }

  /** Whether files are placed as copies of their objects (a reflink may fall back to a copy). */
  get placesCopies(): boolean {
    const type = this.preferred;
    return type === 'copy' || (type === 'reflink' && this.types.includes('copy'));
  }

  /**
   * Offers a verified copy of `object`, made while it was downloaded: the next placing of that
   * object as a copy takes it (a rename) instead of copying the object again.
   */
  offerSpare(object: string, spare: string): void {
    const earlier = this.spares.get(object);
    if (earlier !== undefined) rmSync(earlier, { force: true });
    this.spares.set(object, spare);
  }

  /** Removes the spare copies nothing took. */
  discardSpares(): void {
    for (const spare of this.spares.values()) rmSync(spare, { force: true });
    this.spares.clear();
  }

  /** Links `object` to `target` (replacing whatever is there) and returns the type used. */
  link(object: string, target: string, isexec: boolean): LinkType {
    if (this.placesCopies && this.placeSpare(object, target, isexec)) return 'copy';
    for (;;) {
      const type = this.types[0];
      if (type === undefined) {
        throw new SluiceError('FAILED', `no link type in cache.type works for '${target}'`, {
          hint: 'add copy to cache.type: `sluice config cache.type reflink,copy`',
        });
      }
      const temp = tempNameFor(target);
      try {
        makeLink(type, object, temp, isexec);
        renameSync(temp, target);
        // rename() of two hard links to the same inode does nothing and leaves the source.
        if (type === 'hardlink') rmSync(temp, { force: true });
        return type;
      } catch (error) {
        rmSync(temp, { force: true });
        const code = errnoCode(error);
        if (code !== undefined && UNSUPPORTED.has(code) && this.types.length > 1) {
          this.types.shift();
          continue;
        }
        throw translateWriteError(error, target);
      }
    }
  }

  private placeSpare(object: string, target: string, isexec: boolean): boolean {
    const spare = this.spares.get(object);
    if (spare === undefined) return false;
    this.spares.delete(object);
    try {
      chmodSync(spare, isexec ? EXEC_MODE : 0o644);
      renameSync(spare, target);
      return true;
    } catch {
      // On another file system than the cache, say: the object is copied as usual.
      rmSync(spare, { force: true });
      return false;
    }
  }
}

function makeLink(type: LinkType, object: string, target: string, isexec: boolean): void {
  switch (type) {
    case 'reflink':
      copyFileSync(object, target, fsConstants.COPYFILE_FICLONE_FORCE);
      chmodSync(target, isexec ? EXEC_MODE : 0o644);
      return;
    case 'copy':
      copyFileSync(object, target, fsConstants.COPYFILE_FICLONE);
      chmodSync(target, isexec ? EXEC_MODE : 0o644);
      return;
    case 'hardlink':
      linkSync(object, target);
      return;
    case 'symlink':
      symlinkSync(object, target);
      return;
  }
}
