import {
  chmodSync,
  copyFileSync,
  cpSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
} from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import type { Linker } from '../3-objects/link.js';
import { tempNameFor, writeFileAtomic, writeFileAtomicSync } from '../2-fs/atomicWrite.js';
import { NO_OBSERVER, type ReadObserver } from '../2-fs/readObserver.js';

/**
 * The one path through which Sluice changes the workspace: every file it writes, links,
 * replaces, renames or removes there, `.gitignore` edits and metafiles included.
 *
 * Each call names a repo-relative POSIX path. Before anything is touched, the path is checked:
 * - it is a plain relative path (no empty, `.` or `..` segment, not absolute, no NUL), so it can
 *   never name the repository root itself;
 * - no segment is `.git` (in any letter case: the same folder on a case-insensitive disk), and
 *   the first is not `.dvc` (the repository's own state, written elsewhere);
 * - the folder that holds it, with symlinks resolved, is inside the repository and not inside its
 *   `.git` or `.dvc`. The last segment itself is never followed: removing or replacing a symlink
 *   acts on the link, never on what it points at.
 * Metafile readers check the same rules first, so a hostile file fails before any work starts;
 * this is the second wall.
 */
export class GuardedWorkspace {
  private realRoot: string | undefined;
  /** Folders (absolute) already found to resolve inside the repository. */
  private readonly safeDirs = new Set<string>();

  constructor(
    readonly root: string,
    /** Told of every change (see readObserver.ts): a run that changes the workspace is no answer. */
    private readonly observer: ReadObserver = NO_OBSERVER,
  ) {}

  /** The absolute path of `repoRel` once it passed the checks; throws `BAD_PATH` otherwise. */
  resolve(repoRel: string): string {
    assertWorkspacePath(repoRel);
    const abs = join(this.root, ...repoRel.split('/'));
    this.assertFolderInside(dirname(abs), repoRel);
    return abs;
  }

  /** resolve, for a change. */
  private resolveForWrite(repoRel: string): string {
    this.observer.onUnwitnessed(`workspace write ${repoRel}`);
    return this.resolve(repoRel);
  }

  /** Writes a file atomically (a temporary name beside it, then a rename). */
  writeFileSync(repoRel: string, data: string | Buffer, mode?: number): void {
    writeFileAtomicSync(this.resolveForWrite(repoRel), data, mode);
  }

  async writeFile(repoRel: string, data: string | Buffer, mode?: number): Promise<void> {
    await writeFileAtomic(this.resolveForWrite(repoRel), data, mode);
  }

  /** Removes a file, a symlink (not its target) or, with `recursive`, a folder. */
  remove(repoRel: string, options: { recursive?: boolean } = {}): void {
    const abs = this.resolveForWrite(repoRel);
    rmSync(abs, { recursive: options.recursive === true, force: true });
    if (options.recursive === true) this.forgetBelow(abs);
  }

  /** Renames within the workspace; both ends are checked. */
  rename(fromRel: string, toRel: string): void {
    const from = this.resolveForWrite(fromRel);
    const to = this.resolveForWrite(toRel);
    renameSync(from, to);
    this.forgetBelow(from);
  }

  /** Makes a folder and its parents; each parent made is a real folder inside the repository. */
  mkdir(repoRel: string): string {
    const abs = this.resolveForWrite(repoRel);
    mkdirSync(abs, { recursive: true });
    const stats = lstatSync(abs);
    if (!stats.isDirectory()) throw outside(repoRel, 'it is not a folder');
    return abs;
  }

  /**
   * Replaces a file by a plain copy of itself with `mode` (a link into the cache becomes a file of
   * its own), through a temporary name beside it.
   */
  replaceWithCopy(repoRel: string, mode: number): void {
    const abs = this.resolveForWrite(repoRel);
    const temp = tempNameFor(abs);
    try {
      copyFileSync(abs, temp);
      chmodSync(temp, mode);
      renameSync(temp, abs);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  /**
   * Copies a file or folder from anywhere (`sluice add --out`) to `repoRel`, which must not exist
   * yet: nothing in the workspace is replaced.
   */
  copyIn(sourceAbs: string, repoRel: string): void {
    const abs = this.resolveForWrite(repoRel);
    if (this.lstat(repoRel) !== undefined) {
      throw new SluiceError('ALREADY_EXISTS', `'${repoRel}' already exists`, {
        hint: 'choose another name with -o, or remove it first',
      });
    }
    const parent = posix.dirname(repoRel);
    if (parent !== '.') this.mkdir(parent);
    cpSync(sourceAbs, abs, { recursive: true, errorOnExist: true, force: false });
  }

  /** Places a cache object at `repoRel` with the linker (a link or a copy, by `cache.type`). */
  placeObject(linker: Linker, object: string, repoRel: string, isexec: boolean): string {
    const abs = this.resolveForWrite(repoRel);
    linker.link(object, abs, isexec);
    return abs;
  }

  chmod(repoRel: string, mode: number): void {
    chmodSync(this.resolveForWrite(repoRel), mode);
  }

  /**
   * Removes the empty folders below `repoRel` (the folder itself is kept). Symlinks are never
   * followed. Returns whether the folder is empty now.
   */
  removeEmptyFolders(repoRel: string): boolean {
    const abs = this.resolveForWrite(repoRel);
    return removeEmptyBelow(abs);
  }

  /** `lstat` of a checked path, or undefined when nothing is there. */
  lstat(repoRel: string): Stats | undefined {
    try {
      const abs = this.resolve(repoRel);
      this.observer.onRead(abs);
      return lstatSync(abs);
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      return undefined;
    }
  }

  private assertFolderInside(folder: string, repoRel: string): void {
    if (this.safeDirs.has(folder)) return;
    const root = this.realRootPath();
    let real: string;
    try {
      real = realpathSync(folder);
    } catch (error) {
      const code = errnoCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      // Part of the chain is missing: its existing part must be inside; the rest will be
      // made as real folders by us.
      const parent = dirname(folder);
      if (parent === folder) throw outside(repoRel, 'the repository root is missing');
      this.assertFolderInside(parent, repoRel);
      return;
    }
    if (!isInsideOrSame(real, root)) {
      throw this.throughSymlink(repoRel, 'outside the repository');
    }
    const relReal = real.slice(root.length + 1);
    const first = relReal.split(sep)[0]?.toLowerCase();
    if (relReal !== '' && (first === '.git' || first === '.dvc')) {
      throw this.throughSymlink(repoRel, 'into .git or .dvc');
    }
    if (relReal.split(sep).some((s) => s.toLowerCase() === '.git')) {
      throw this.throughSymlink(repoRel, 'into a .git folder');
    }
    this.safeDirs.add(folder);
  }

  /** The refusal of a path whose folder a symlink leads elsewhere, naming the first symlink. */
  private throughSymlink(repoRel: string, where: string): SluiceError {
    const parts = repoRel.split('/');
    let link: string | undefined;
    for (let i = 1; i < parts.length && link === undefined; i += 1) {
      const candidate = parts.slice(0, i).join('/');
      try {
        if (lstatSync(join(this.root, ...parts.slice(0, i))).isSymbolicLink()) link = candidate;
      } catch {
        break;
      }
    }
    const through = link === undefined ? 'a symlink' : `the symlink '${link}'`;
    return outside(repoRel, `${through} leads it ${where}`);
  }

  private realRootPath(): string {
    this.realRoot ??= realpathSync(this.root);
    return this.realRoot;
  }

  private forgetBelow(abs: string): void {
    for (const dir of this.safeDirs) {
      if (dir === abs || dir.startsWith(abs + sep)) this.safeDirs.delete(dir);
    }
  }
}

function isInsideOrSame(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Why `repoRel` may not be written by Sluice, or undefined when it may: the rules metafile
 * readers apply to every output path before any work starts.
 */
export function workspacePathProblem(repoRel: string): string | undefined {
  if (repoRel === '' || repoRel === '.') return 'it names the repository itself';
  if (repoRel.includes('\0')) return 'it contains a NUL character';
  if (repoRel.startsWith('/')) return 'it is absolute';
  const segments = repoRel.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return 'it is not a plain relative path';
  }
  if (segments.some((s) => s.toLowerCase() === '.git')) return 'it is inside .git';
  if (segments[0]?.toLowerCase() === '.dvc') return 'it is inside .dvc';
  return undefined;
}

/** Throws `BAD_PATH` unless `repoRel` is a path Sluice may write (see `workspacePathProblem`). */
export function assertWorkspacePath(repoRel: string, source?: string): void {
  const problem = workspacePathProblem(repoRel);
  if (problem === undefined) return;
  const where = source === undefined ? '' : `'${source}': `;
  throw new SluiceError(
    'BAD_PATH',
    `${where}refusing to write '${repoRel === '' ? '.' : repoRel}': ${problem}`,
    { hint: 'a metafile names a path Sluice never writes; fix or remove that entry' },
  );
}

function outside(repoRel: string, why: string): SluiceError {
  return new SluiceError('BAD_PATH', `refusing to write '${repoRel}': ${why}`, {
    hint: 'a symlink in the repository points elsewhere; remove it and run the command again',
  });
}

function removeEmptyBelow(dir: string): boolean {
  let empty = true;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return true;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.isSymbolicLink()) {
      const child = join(dir, entry.name);
      if (removeEmptyBelow(child)) {
        // rmdir, not rm: a file that appeared meanwhile keeps its folder.
        try {
          rmdirSync(child);
        } catch {
          empty = false;
        }
      } else {
        empty = false;
      }
    } else {
      empty = false;
    }
  }
  return empty;
}
