import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import type { DvcIgnore } from './dvcIgnore.js';

export interface WalkedFile {
  /** POSIX path relative to the walked folder. */
  relpath: string;
  absPath: string;
  stats: Stats;
}

/**
 * Every file under `absDir` (symlinks followed to their targets, as DVC hashes them), skipping
 * what `.dvcignore` excludes. `relDir` is the folder's repo-relative path for the ignore rules.
 */
export function walkFiles(absDir: string, relDir: string, ignore: DvcIgnore): WalkedFile[] {
  const files: WalkedFile[] = [];
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
      if (ignore.isIgnored(repoRel, name, isDir)) continue;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const childRepoRel = repoRel === '' ? name : `${repoRel}/${name}`;
      if (isDir) {
        stack.push([absPath, childRel, childRepoRel]);
      } else {
        files.push({ relpath: childRel, absPath, stats: stats ?? statSync(absPath) });
      }
    }
  }
  return files;
}
