import { posix } from 'node:path';
import { isDvcFileName } from './dvcFile.js';

/**
 * Paths as metafiles write them: repo-relative POSIX paths, '' for the root. These rules are
 * shared by everything that reads a repository's metafiles, at a revision or in the workspace.
 */

/** `path` (relative to the folder `dir`) as a repo-relative path: normalised, no trailing '/'. */
export function joinRepoPath(dir: string, path: string): string {
  const joined = posix.normalize(dir === '' ? path : `${dir}/${path}`).replace(/\/$/, '');
  return joined === '.' ? '' : joined;
}

/** The folder of a repo-relative path, '' for the root. */
export function folderOf(path: string): string {
  const dir = posix.dirname(path);
  return dir === '.' ? '' : dir;
}

/** A `dvc.yaml`, `.dvc` file or `Dvcfile` of the project (not inside `.dvc/` or `.git/`). */
export function isMetafilePath(path: string): boolean {
  if (path.startsWith('.dvc/') || path.startsWith('.git/')) return false;
  return posix.basename(path) === 'dvc.yaml' || isDvcFileName(path);
}

/** Sorts metafiles as DVC walks them, top-down: a folder's files before its subfolders'. */
export function sortTopDown(files: string[]): string[] {
  return files.sort((a, b) => {
    const da = a.split('/').length;
    const db = b.split('/').length;
    return da !== db ? da - db : a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * The folder of the nested DVC repository whose `.dvc` folder holds `path` (a file of a git
 * tree), or undefined. A sub-folder with its own `.dvc` is another project that DVC skips.
 */
export function nestedRepoOf(path: string): string | undefined {
  const at = path.indexOf('/.dvc/');
  return at > 0 ? path.slice(0, at) : undefined;
}

/** The paths not inside any of the nested repositories named by `treeFiles` (see nestedRepoOf). */
export function outsideNestedRepos(paths: string[], treeFiles: Iterable<string>): string[] {
  const nested = new Set<string>();
  for (const file of treeFiles) {
    const repo = nestedRepoOf(file);
    if (repo !== undefined) nested.add(repo);
  }
  if (nested.size === 0) return paths;
  return paths.filter((path) => {
    for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) {
      if (nested.has(path.slice(0, at))) return false;
    }
    return true;
  });
}
