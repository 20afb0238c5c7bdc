import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HashCache } from '../5-workspace/hashCache.js';
import { ParseCache } from '../2-fs/parseCache.js';
import { Linker, parseLinkTypes } from '../3-objects/link.js';
import { LinkRecord } from '../3-objects/linkRecord.js';
import { ObjectStore } from '../3-objects/objectStore.js';
import { Config } from './config/index.js';
import { SluiceError } from '../1-base/errors.js';
import { GuardedWorkspace } from '../5-workspace/guardedWorkspace.js';
import { nothingReclaimed, type Reclaimed } from '../2-fs/tempFiles.js';
import { Git } from './git.js';
import { DvcIgnore } from '../5-workspace/dvcIgnore.js';
import { SHARED_STAMP_MIN_FILES, startStampHelper } from '../5-workspace/folderStamp.js';
import type { HashContext } from '../5-workspace/hashPath.js';
import { DEFAULT_LOCK_WAIT_SECONDS, LOCK_TOKEN_ENV, RepoLock } from './repoLock.js';

import { DVC_DIR, findRoot, hashCacheFile, repoLockFile } from '../2-fs/repoPaths.js';
import { NO_OBSERVER, readEnv, type ReadObserver } from '../2-fs/readObserver.js';

export { DVC_DIR, findRoot };

export interface OpenOptions {
  /** Seconds to wait for the repo lock held by another process. */
  waitSeconds?: number;
  /** The command line, recorded in the lock so a waiting process can name it. */
  command?: string;
  /**
   * Told of what the repo's config, git, `.dvcignore` rules, cache and hashing read (see
   * readObserver.ts). The CLI's answer memo passes its recorder; nobody else needs one.
   */
  observer?: ReadObserver;
}

/**
 * An open Sluice/DVC repository: its root, configuration, cache, git and locks.
 * Paths handed around inside the core are repo-relative POSIX paths unless named `abs…`.
 */
export class Repo {
  readonly dvcDir: string;
  readonly tmpDir: string;
  readonly cacheDir: string;
  readonly odb: ObjectStore;
  readonly hashCache: HashCache;
  /** Parsed dvc.yaml/dvc.lock texts, so no-op commands skip YAML parsing. */
  readonly parseCache: ParseCache;
  readonly ignore: DvcIgnore;
  readonly links: LinkRecord;
  /** The one guarded path for every change Sluice makes to the workspace. */
  readonly workspace: GuardedWorkspace;
  private readonly lockFile: RepoLock;
  private linkerInstance: Linker | undefined;
  /** What the sweeps of `withRepoLock` removed: temporary files left by killed commands. */
  readonly reclaimed: Reclaimed = nothingReclaimed();
  /** Told of every file hashed, cached or checked out, with its size (for progress bars). */
  onFileDone: ((files: number, bytes: number) => void) | undefined;
  /** Told of the inputs this repo's commands read (see readObserver.ts). */
  readonly observer: ReadObserver;

  private constructor(
    readonly root: string,
    readonly config: Config,
    readonly git: Git | null,
    private readonly options: OpenOptions,
  ) {
    const observer = options.observer ?? NO_OBSERVER;
    this.observer = observer;
    this.dvcDir = join(root, DVC_DIR);
    this.tmpDir = join(this.dvcDir, 'tmp');
    const cacheSetting = config.get('cache', 'dir');
    this.cacheDir =
      typeof cacheSetting === 'string'
        ? resolve(
            this.dvcDir,
            cacheSetting.replace(/^~(?=$|\/)/, () => readEnv(observer, 'HOME') ?? '~'),
          )
        : join(this.dvcDir, 'cache');
    this.odb = new ObjectStore(this.cacheDir);
    this.odb.observer = observer;
    this.hashCache = new HashCache(hashCacheFile(this.tmpDir));
    // A listing whose files were all found in the cache was read, and checked, before.
    this.odb.isCheckedDir = (oid) => this.hashCache.wasDirChecked(oid);
    this.parseCache = new ParseCache(join(this.tmpDir, 'sluice', 'parsed'));
    this.ignore = new DvcIgnore(root, observer);
    this.workspace = new GuardedWorkspace(root, observer);
    this.links = new LinkRecord(join(this.tmpDir, 'sluice', 'links.json'));
    this.lockFile = new RepoLock(repoLockFile(this.tmpDir));
  }

  static async open(cwd: string, options: OpenOptions = {}): Promise<Repo> {
    const observer = options.observer ?? NO_OBSERVER;
    const root = findRoot(cwd, observer);
    if (root === undefined) {
      throw new SluiceError(
        'NOT_A_REPO',
        `you are not inside of a DVC repository (checked up to mount point '${resolve('/')}')`,
        { hint: 'run `sluice init` to create one' },
      );
    }
    const config = await Config.load(join(root, DVC_DIR), { observer });
    const noScm = config.get('core', 'no_scm');
    const git = noScm === 'true' || noScm === 'True' ? null : await Git.find(root, observer);
    const repo = new Repo(root, config, git, options);
    if (repo.hashCache.foldersWithFiles(SHARED_STAMP_MIN_FILES).length > 0) {
      void startStampHelper();
    }
    return repo;
  }

  get linker(): Linker {
    this.linkerInstance ??= new Linker(parseLinkTypes(this.config.get('cache', 'type')));
    return this.linkerInstance;
  }

  get hashContext(): HashContext {
    const onFileDone = this.onFileDone;
    return {
      hashCache: this.hashCache,
      ignore: this.ignore,
      observer: this.observer,
      ...(onFileDone === undefined ? {} : { onBytesHashed: (bytes) => onFileDone(1, bytes) }),
    };
  }

  /**
   * Takes the repo lock, waiting for another process that holds it (see `OpenOptions`). Use
   * `withRepoLock` (src/core/9-ops/withRepoLock.ts), which also sweeps and saves; this is its
   * primitive.
   */
  async acquireLock(): Promise<void> {
    await this.lockFile.acquire({
      waitSeconds: this.options.waitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS,
      command: this.options.command ?? 'sluice',
    });
  }

  /** Gives the repo lock back (the other half of `acquireLock`). */
  releaseLock(): void {
    this.lockFile.release();
  }

  /**
   * Runs `fn` (a stage command, or a question to the user) while this process keeps the lock:
   * the state is saved first, and `sluice` runs of the command share the lock through
   * `lockEnv()` rather than wait for it. Other processes keep waiting, so none of them sees the
   * outputs a stage has removed before its command recreates them.
   */
  async withLockLent<T>(fn: () => Promise<T>): Promise<T> {
    this.saveState();
    return fn();
  }

  /** The environment a stage command gets so that its `sluice` runs share this process's lock. */
  lockEnv(): Record<string, string> {
    return { [LOCK_TOKEN_ENV]: this.lockFile.token };
  }

  /** Writes the hash cache and link record (both private to this machine). */
  saveState(): void {
    this.hashCache.save();
    this.links.save();
  }

  /** Absolute path of a repo-relative POSIX path. */
  abs(repoRel: string): string {
    return repoRel === '' || repoRel === '.' ? this.root : join(this.root, ...repoRel.split('/'));
  }

  /**
   * The repo-relative POSIX path of `path` (absolute, or relative to `cwd`). Refuses paths that
   * leave the repository.
   */
  rel(path: string, cwd: string = this.root): string {
    const absolute = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
    const relPath = relative(this.root, absolute);
    if (relPath === '') return '';
    if (relPath === '..' || relPath.startsWith(`..${sep}`) || isAbsolute(relPath)) {
      throw new SluiceError('BAD_PATH', `'${path}' is outside of the repository '${this.root}'`, {
        hint: 'only paths inside the repository can be tracked',
      });
    }
    return relPath.split(sep).join('/');
  }

  exists(repoRel: string): boolean {
    const abs = this.abs(repoRel);
    this.observer.onRead(abs);
    return existsSync(abs);
  }
}
