import { createHash } from 'node:crypto';
import { isAbsolute, join, relative } from 'node:path';
import { SluiceError } from '../1-base/errors.js';
import { isDirectoryMode, statFacts, type FileFacts } from '../2-fs/fileFacts.js';
import { ALWAYS_IGNORED, NESTED_REPO_MARKER, type DvcIgnore } from './dvcIgnore.js';
import { readEntries, type FolderListing } from './folderListing.js';

export interface WalkedFile {
  /** POSIX path relative to the walked folder. */
  relpath: string;
  absPath: string;
  /** Only the fields hashing needs: a 100k-file walk keeps no `fs.Stats` objects alive. */
  stats: { ino: number; mtimeMs: number; size: number; mode: number };
}

/**
 * A slice of one folder's listing: at most UNIT_ENTRIES entries, in listing order, of which
 * `names` are the ones that may be files (files, and links that may point to one). Units are
 * what a walk stats, and what several threads share out (see folderStamp.ts).
 */
export interface WalkUnit {
  /** The folder as given to fs calls (relative to the working directory when inside it). */
  dir: string;
  /** The folder's POSIX path relative to the walked folder, '' for the folder itself. */
  relDir: string;
  /** Which slice of the folder's listing. */
  chunk: number;
  names: string[];
}

/** Entries per unit: a folder of 100k files is shared out in slices, not handed out whole. */
export const UNIT_ENTRIES = 1024;

/** A path for fs calls: relative to the working directory when inside it (fewer lookups). */
export function shortPath(absPath: string): string {
  const rel = relative(process.cwd(), absPath);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? absPath : rel;
}

/**
 * Lists the units of the folder `absDir` (repo-relative `relDir`, for `.dvcignore`) depth first,
 * last folder first, skipping what `.dvcignore` excludes, the folders every walk skips
 * (.git, .dvc, .hg) and nested DVC repositories. Reads folders only: no file is stat'ed here.
 */
export function listUnits(
  absDir: string,
  relDir: string,
  ignore: DvcIgnore,
  onUnit: (unit: WalkUnit) => void,
  listing?: FolderListing,
): void {
  // A .dvcignore inside a collected folder is refused below, so only the rules of the folder
  // and its ancestors can apply; most repositories have none, and then no path is matched.
  const rules = ignore.hasRulesFor(relDir) ? ignore : undefined;
  const stack: Array<[dir: string, rel: string, repoRel: string]> = [
    [shortPath(absDir), '', relDir],
  ];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const [dir, rel, repoRel] = stack.pop() as [string, string, string];
    seen.add(rel);
    const entries = listing === undefined ? readEntries(dir) : listing.read(dir, rel);
    if (rel !== '' && isNestedRepo(entries)) continue;
    for (let start = 0; start < entries.length; start += UNIT_ENTRIES) {
      const names: string[] = [];
      const end = Math.min(entries.length, start + UNIT_ENTRIES);
      for (let i = start; i < end; i++) {
        const entry = entries[i];
        const isDir = entry.endsWith('/');
        const name = isDir ? entry.slice(0, -1) : entry;
        if (name === '.dvcignore' && !isDir) {
          throw new SluiceError(
            'FAILED',
            `.dvcignore file should not be in collected dir path: '${join(absDir, rel, name)}'`,
          );
        }
        if (isDir && ALWAYS_IGNORED.has(name)) continue;
        if (rules?.isIgnored(repoRel, name, isDir) === true) continue;
        if (isDir) {
          stack.push([
            `${dir}/${name}`,
            rel === '' ? name : `${rel}/${name}`,
            repoRel === '' ? name : `${repoRel}/${name}`,
          ]);
        } else {
          names.push(name);
        }
      }
      if (names.length > 0) onUnit({ dir, relDir: rel, chunk: start / UNIT_ENTRIES, names });
    }
  }
  listing?.save(seen);
}

/** Do these entries (folders ending in '/') make their folder a nested DVC repository? */
function isNestedRepo(entries: readonly string[]): boolean {
  for (const entry of entries) {
    if (entry === NESTED_REPO_DIR || entry === NESTED_REPO_MARKER) return true;
  }
  return false;
}

const NESTED_REPO_DIR = `${NESTED_REPO_MARKER}/`;

/**
 * Stats the files of a unit and answers its digest: every file's name, inode, mtime and size, in
 * listing order. Links to files are followed; links to folders are not descended into and
 * dangling links have no content to track (as DVC's walk, os.walk), so both are left out, as is
 * a file deleted since the listing. `visit` sees each file that counts.
 */
export function statUnit(unit: WalkUnit, visit?: (name: string, facts: FileFacts) => void): string {
  // Each file's numbers go into the digest as binary doubles: formatting 100k inodes, mtimes
  // and sizes as text cost a third as much again as the stat calls themselves.
  const numbers = new Float64Array(unit.names.length * 3);
  const stats: FileFacts = { ino: 0, mtimeMs: 0, size: 0, mode: 0 };
  let at = 0;
  for (const name of unit.names) {
    if (!statFacts(`${unit.dir}/${name}`, stats) || isDirectoryMode(stats.mode)) {
      // Gone since the listing, or a link to a folder: it does not count.
      numbers[at] = -1;
      numbers[at + 1] = -1;
      numbers[at + 2] = -1;
    } else {
      numbers[at] = stats.ino;
      numbers[at + 1] = stats.mtimeMs;
      numbers[at + 2] = stats.size;
      visit?.(name, stats);
    }
    at += 3;
  }
  return createHash('md5')
    .update(unit.names.join('\0'))
    .update(new Uint8Array(numbers.buffer))
    .digest('hex');
}

/**
 * Folds unit digests, in listing order, into a folder's stamp: what identifies its content
 * without reading it. A reordered listing only costs a rehash from the per-file hash cache.
 */
export class StampBuilder {
  private text = '';

  add(unit: WalkUnit, digest: string): void {
    this.text += `${unit.relDir}\0${unit.chunk}\0${digest}\n`;
  }

  digest(): string {
    return createHash('md5').update(this.text).digest('hex');
  }
}

/**
 * Calls `visit` for every file under `absDir` (see listUnits and statUnit for what counts), and
 * answers the folder's stamp.
 */
export function walkFiles(
  absDir: string,
  relDir: string,
  ignore: DvcIgnore,
  visit: (file: WalkedFile) => void,
): string {
  const stamp = new StampBuilder();
  listUnits(absDir, relDir, ignore, (unit) => {
    const prefix = unit.relDir === '' ? '' : `${unit.relDir}/`;
    const folder = join(absDir, unit.relDir);
    const digest = statUnit(unit, (name, stats) => {
      visit({
        relpath: prefix + name,
        absPath: join(folder, name),
        stats: { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size, mode: stats.mode },
      });
    });
    stamp.add(unit, digest);
  });
  return stamp.digest();
}
