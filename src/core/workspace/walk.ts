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

/** A folder still to walk: absolute path, path relative to the walk's root, repo-relative path. */
type PendingDir = [absPath: string, relpath: string, repoRelPath: string];

/**
 * Calls `visit` for every file under `absDir` (links to files followed, links to folders not),
 * skipping what `.dvcignore` excludes. `relDir` is the folder's repo-relative path for the
 * ignore rules. One thread: stat calls from a second thread made a 100k-file walk slower here,
 * not faster (the kernel, not JavaScript, is the bottleneck), and cost memory.
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
  walkFrom([[absDir, '', relDir]], checkRules ? ignore : undefined, visit);
}

/**
 * Walks the given folders, depth first, last first. Without `ignore`, only the folders every
 * walk skips (.git, .dvc, .hg) are left out.
 */
function walkFrom(
  dirs: PendingDir[],
  ignore: DvcIgnore | undefined,
  visit: (file: WalkedFile) => void,
): void {
  const stack = dirs.slice();
  while (stack.length > 0) {
    const [dir, rel, repoRel] = stack.pop() as PendingDir;
    for (const entry of readFolder(dir)) {
      const name = entry.name;
      const absPath = join(dir, name);
      const isDir = entry.isDirectory();
      let stats: Stats | undefined;
      if (entry.isSymbolicLink()) {
        stats = statOrSkip(absPath);
        // As DVC's walk (os.walk): a link to a file is hashed by its target's content, a link to
        // a folder is not descended into, and a dangling link has no content to track.
        if (stats === undefined || stats.isDirectory()) continue;
      }
      if (name === '.dvcignore' && !isDir) {
        throw new SluiceError(
          'FAILED',
          `.dvcignore file should not be in collected dir path: '${absPath}'`,
        );
      }
      if (isDir && ALWAYS_IGNORED.has(name)) continue;
      if (ignore?.isIgnored(repoRel, name, isDir) === true) continue;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (isDir) {
        stack.push([absPath, childRel, repoRel === '' ? name : `${repoRel}/${name}`]);
      } else {
        visit({ relpath: childRel, absPath, stats: stamp(stats ?? statSync(absPath)) });
      }
    }
  }
}

function readFolder(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new SluiceError('FAILED', `cannot read folder '${dir}'`, { cause: error });
  }
}

/** stat following links; undefined for a dangling link, which has no content to track. */
function statOrSkip(absPath: string): Stats | undefined {
  return statSync(absPath, { throwIfNoEntry: false });
}
