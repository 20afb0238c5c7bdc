import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import { ALWAYS_IGNORED, type DvcIgnore } from './dvcIgnore.js';

export interface WalkedFile {
  /** POSIX path relative to the walked folder. */
  relpath: string;
  absPath: string;
  /** Only the fields hashing needs: a 100k-file walk keeps no `fs.Stats` objects alive. */
  stats: { ino: number; mtimeMs: number; size: number; mode: number };
}

function stamp(stats: Stats): WalkedFile['stats'] {
  return { ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size, mode: stats.mode };
}

/**
 * Calls `visit` for every file under `absDir` (symlinks followed to their targets, as DVC hashes
 * them), skipping what `.dvcignore` excludes. `relDir` is the folder's repo-relative path for
 * the ignore rules. A visitor rather than a list, so 100k files cost no intermediate array.
 */
export function walkFiles(
  absDir: string,
  relDir: string,
  ignore: DvcIgnore,
  visit: (file: WalkedFile) => void,
): void {
  // A .dvcignore inside a collected folder is refused below, so only the rules of the folder
  // and its ancestors can apply; most repositories have none, and then no path is matched.
  const checkRules = ignore.hasRulesFor(relDir);
  const stack: Array<[string, string, string]> = [[absDir, '', relDir]];
  while (stack.length > 0) {
    const [dir, rel, repoRel] = stack.pop() as [string, string, string];
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new SluiceError('FAILED', `cannot read folder '${dir}'`, { cause: error });
    }
    for (const entry of entries) {
      const name = entry.name;
      const absPath = join(dir, name);
      let isDir = entry.isDirectory();
      let stats: Stats | undefined;
      if (entry.isSymbolicLink()) {
        try {
          stats = statSync(absPath);
        } catch {
          continue; // a dangling link has no content to track
        }
        isDir = stats.isDirectory();
      }
      if (name === '.dvcignore' && !isDir) {
        throw new SluiceError(
          'FAILED',
          `.dvcignore file should not be in collected dir path: '${absPath}'`,
        );
      }
      if (isDir && ALWAYS_IGNORED.has(name)) continue;
      if (checkRules && ignore.isIgnored(repoRel, name, isDir)) continue;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const childRepoRel = repoRel === '' ? name : `${repoRel}/${name}`;
      if (isDir) {
        stack.push([absPath, childRel, childRepoRel]);
      } else {
        visit({ relpath: childRel, absPath, stats: stamp(stats ?? statSync(absPath)) });
      }
    }
  }
}
