import { posix } from 'node:path';
import type { Git, LsTreeEntry } from '../6-repo/git.js';
import { isMetafilePath, outsideNestedRepos, sortTopDown } from '../7-metafiles/metafilePaths.js';

/**
 * The files git holds at one commit, as the repository inside it sees them: paths relative to
 * the repository's folder (`prefix` below the git root, '' when they are the same). Listed with
 * one `ls-tree`, read through git's one `cat-file --batch` process; nothing is checked out.
 */
export class GitTree {
  private listing: Promise<LsTreeEntry[]> | undefined;

  constructor(
    readonly git: Git,
    readonly sha: string,
    readonly prefix = '',
  ) {}

  /** The repository's folder below the git root: '' when the repository is the git root. */
  static prefixOf(git: Git, repoRoot: string): string {
    return posix.relative(git.root.split('\\').join('/'), repoRoot.split('\\').join('/'));
  }

  /** The files (blobs) of the commit, repo-relative. */
  files(): Promise<LsTreeEntry[]> {
    this.listing ??= (async () => {
      const prefix = this.prefix;
      const entries = await this.git.lsTree(this.sha, prefix === '' ? undefined : prefix);
      return entries
        .filter((e) => e.type === 'blob')
        .map((e) => ({ ...e, path: prefix === '' ? e.path : posix.relative(prefix, e.path) }));
    })();
    return this.listing;
  }

  /** A file's bytes at the commit, or null when it has none there. */
  async readFile(path: string): Promise<Buffer | null> {
    const [blob] = await this.git.readBlobs([
      { rev: this.sha, path: this.prefix === '' ? path : `${this.prefix}/${path}` },
    ]);
    return blob ?? null;
  }

  /** The files below a folder, or null when `path` is a file or not there. */
  async filesUnder(path: string): Promise<string[] | null> {
    // A file (the usual case) needs no tree listing.
    if ((await this.readFile(path)) !== null) return null;
    const found = (await this.files()).map((e) => e.path).filter((p) => p.startsWith(`${path}/`));
    return found.length > 0 ? found : null;
  }

  /** The project's metafiles at the commit, top-down as DVC walks them. */
  async metafiles(): Promise<string[]> {
    const paths = (await this.files()).map((e) => e.path);
    return sortTopDown(outsideNestedRepos(paths.filter(isMetafilePath), paths));
  }
}
