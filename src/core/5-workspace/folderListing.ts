import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SluiceError } from '../1-base/errors.js';
import { writeFileAtomicSync } from '../2-fs/atomicWrite.js';

/** What was read of one folder: its identity and times, and its entries (folders end in '/'). */
interface ListingRecord {
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  /** When the folder was read (ms since the epoch). */
  readAt: number;
  /** Entry names in listing order, NUL-separated; folder names end with '/'. */
  entries: string;
}

interface ListingData {
  format: 1;
  folders: Record<string, ListingRecord>;
}

/**
 * A folder changed this recently before it was read may change again within the same tick of
 * its clock without its times moving: its listing is not reused.
 */
const RACY_MS = 2000;

/**
 * The listings of a walked folder's subfolders, kept from one walk to the next (as git's
 * untracked cache does): a folder whose inode, mtime and ctime are what they were when it was
 * read, well after it last changed, has the same entries, since adding, removing or renaming an
 * entry moves both times. Reusing them saves a readdir of every folder of a no-op `status`.
 * Only entries are kept; every file is still stat'ed.
 */
export class FolderListing {
  private data: ListingData | undefined;
  private dirty = false;

  constructor(private readonly file: string) {}

  /** The entries of `dir` (fs path; `rel` names it in the record), folders ending with '/'. */
  read(dir: string, rel: string): string[] {
    let stats;
    try {
      stats = statSync(dir);
    } catch (error) {
      throw new SluiceError('FAILED', `cannot read folder '${resolve(dir)}'`, { cause: error });
    }
    const folders = this.load().folders;
    const known = folders[rel];
    if (
      known !== undefined &&
      known.ino === stats.ino &&
      known.mtimeMs === stats.mtimeMs &&
      known.ctimeMs === stats.ctimeMs &&
      known.readAt - stats.ctimeMs > RACY_MS
    ) {
      return known.entries === '' ? [] : known.entries.split('\0');
    }
    const readAt = Date.now();
    const entries = readEntries(dir);
    folders[rel] = {
      ino: stats.ino,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      readAt,
      entries: entries.join('\0'),
    };
    this.dirty = true;
    return entries;
  }

  /** Forgets folders not seen by this walk, and writes the listings if anything changed. */
  save(seen: ReadonlySet<string>): void {
    if (this.data === undefined) return;
    for (const rel of Object.keys(this.data.folders)) {
      if (!seen.has(rel)) {
        delete this.data.folders[rel];
        this.dirty = true;
      }
    }
    if (!this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileAtomicSync(this.file, JSON.stringify(this.data));
      this.dirty = false;
    } catch {
      // only a cache: the next walk reads the folders again
    }
  }

  private load(): ListingData {
    if (this.data !== undefined) return this.data;
    let data: ListingData = { format: 1, folders: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<ListingData>;
      if (parsed.format === 1 && typeof parsed.folders === 'object' && parsed.folders !== null) {
        data = { format: 1, folders: parsed.folders };
      }
    } catch {
      // missing or damaged: read every folder
    }
    this.data = data;
    return data;
  }
}

/** A folder's entries as readdir gives them, folder names ending with '/'. */
export function readEntries(dir: string): string[] {
  let dirents;
  try {
    dirents = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new SluiceError('FAILED', `cannot read folder '${resolve(dir)}'`, { cause: error });
  }
  const entries = new Array<string>(dirents.length);
  for (let i = 0; i < dirents.length; i++) {
    const dirent = dirents[i];
    entries[i] = dirent.isDirectory() ? `${dirent.name}/` : dirent.name;
  }
  return entries;
}

/** Where the listings of the folder `relDir` are kept, beside the hash cache's file. */
export function folderListingFile(hashFile: string, relDir: string): string {
  const name = createHash('md5').update(relDir).digest('hex');
  return `${hashFile}-listings/${name}.json`;
}
