/**
 * Makes the records rememberedAnswer.ts checks: watches one run of an answerable command and,
 * when it may stand for the next runs, writes what it printed and the witnesses of what it read.
 *
 * The recorder is the run's ReadObserver (src/core/2-fs/readObserver.ts): the CLI opens the
 * repository with it (context.ts), and the core tells it each path it reads, each variable,
 * each workspace folder it hashes, and anything it does that no witness can stand for (a write
 * outside Sluice's state, a process, a question upstream); such a run is not remembered. Node's
 * own modules are not touched. Nor is a run remembered that read a file changed within the last
 * `SETTLE_MS`, before or while it ran: a change in the same clock tick as a read would keep its
 * times (git's "racy" case), and the witnesses are taken when the run is over. Sluice's own
 * state in `.dvc/tmp/sluice` (hash cache, listings) and its lock are not witnesses: they change
 * how fast an answer comes, not what it is.
 */
import fs from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { writeFileAtomicSync } from '../../core/2-fs/atomicWrite.js';
import type { ReadObserver } from '../../core/2-fs/readObserver.js';
import { environmentWitness, NATIVE_VARIABLES } from './envWitness.js';
import { DVC_DIR, findRoot, repoLockFile } from '../../core/2-fs/repoPaths.js';
import {
  answerableCommand,
  answerFile,
  answerKey,
  FORMAT_VERSION,
  signatureOfStats,
  type Answer,
  type FolderWitness,
  type StoredAnswer,
} from './rememberedAnswer.js';

/** How old the newest file read must be for an answer to be remembered. */
const SETTLE_MS = Number(process.env.SLUICE_ANSWER_SETTLE_MS ?? 2000);
/** Past this many witnesses, checking them saves little: the answer is not remembered. */
const MAX_WITNESSES = 20_000;

/**
 * The recorder of this process's run, when its answer may be remembered: a process runs one
 * command. The CLI opens the repository with it (context.ts).
 */
let thisRun: AnswerRecorder | undefined;

/** The observer to open this run's repository with, if its answer may be remembered. */
export function runObserver(): ReadObserver | undefined {
  return thisRun;
}

/**
 * Watches one run of an answerable command (see the top of this file): hand it to the core as
 * the run's observer, then `finish` with what the command printed once it is over.
 */
export class AnswerRecorder implements ReadObserver {
  private readonly largeFolders = new Map<string, FolderWitness>();
  private readonly smallFolders = new Set<string>();
  private readonly paths = new Set<string>();
  private readonly variables = new Set<string>(NATIVE_VARIABLES);
  /** Inside a folder being stamped: its reads are the stamp's, not witnesses. */
  private stamping = 0;
  /** What the run did that no witness stands for, when it did. */
  private unwitnessed: string | undefined;
  private readonly startedAt = Date.now();
  /** Where Sluice and DVC keep state. */
  private readonly tmpDir: string;
  /** Sluice's own state, and its lock: how fast an answer comes, not what it is; no witness. */
  private readonly stateDir: string;
  private readonly lockFile: string;

  private constructor(
    private readonly root: string,
    private readonly command: string,
    private readonly key: string,
  ) {
    this.tmpDir = join(root, DVC_DIR, 'tmp');
    this.stateDir = join(this.tmpDir, 'sluice');
    this.lockFile = repoLockFile(this.tmpDir);
  }

  /** A recorder for this command line, or undefined when its answer is not to be remembered. */
  static forCommand(argv: readonly string[], cwd: string): AnswerRecorder | undefined {
    const command = answerableCommand(argv);
    const root = command === undefined ? undefined : findRoot(cwd);
    const key = answerKey(argv, cwd);
    if (command === undefined || root === undefined || key === undefined) return undefined;
    thisRun = new AnswerRecorder(root, command, key);
    return thisRun;
  }

  onRead(absPath: string): void {
    if (this.unwitnessed !== undefined) return;
    // Inside a stamped folder only the `.dvcignore` files count: they decide what the stamp
    // covers (a small folder is checked file by file, without them).
    if (this.stamping > 0 && basename(absPath) !== '.dvcignore') return;
    if (absPath === this.tmpDir || absPath === this.lockFile || within(absPath, this.stateDir)) {
      return;
    }
    this.paths.add(absPath);
  }

  onEnv(name: string): void {
    this.variables.add(name);
  }

  onFolder<T>(
    absDir: string,
    relDir: string,
    stamp: () => { result: T; digest: string; listingFile?: string },
  ): T {
    this.stamping += 1;
    try {
      const { result, digest, listingFile } = stamp();
      // A large folder (one with a listing file) is checked with the helper thread; the files
      // of a small one are witnesses themselves.
      if (listingFile !== undefined) {
        this.largeFolders.set(absDir, [absDir, relDir, digest, listingFile]);
      } else {
        this.smallFolders.add(absDir);
      }
      return result;
    } finally {
      this.stamping -= 1;
    }
  }

  onUnwitnessed(what: string): void {
    this.unwitnessed ??= what;
  }

  /** What the run did that no witness stands for (the first such thing), if anything. */
  get spoiledBy(): string | undefined {
    return this.unwitnessed;
  }

  /**
   * When the run may stand for the next ones, remembers its answer. Never throws: an answer that
   * cannot be written is simply not remembered.
   */
  finish(answer: Answer | undefined): void {
    if (thisRun === this) thisRun = undefined;
    if (answer === undefined || this.unwitnessed !== undefined) return;
    // A run the core told nothing (it did not even look for the repository) proves nothing.
    if (this.paths.size === 0) return;
    // 1 is also how `status -q` says "changed"; other codes are failures, shown afresh.
    if (answer.exitCode !== 0 && answer.exitCode !== 1) return;
    try {
      // The files and folders of a small folder are its witnesses (ignored ones too: a change
      // there costs a fresh answer, nothing worse); a large one is known by its stamp.
      const witnesses = new Set(this.paths);
      for (const folder of this.smallFolders) {
        if (!addTree(folder, witnesses)) return;
      }
      // The folder of each path in the repo too: a file removed while the run went on leaves
      // no time of its own to compare, but changes its folder's.
      for (const path of [...witnesses]) {
        const folder = dirname(path);
        if (within(folder, this.root) && !within(folder, this.tmpDir)) witnesses.add(folder);
      }
      if (witnesses.size + this.largeFolders.size > MAX_WITNESSES) return;
      const newest = this.startedAt - SETTLE_MS;
      const paths: [string, string][] = [];
      for (const path of witnesses) {
        const stats = fs.statSync(path, { throwIfNoEntry: false });
        if (stats !== undefined && (stats.mtimeMs >= newest || stats.ctimeMs >= newest)) return;
        paths.push([path, signatureOfStats(stats)]);
      }
      const stored: StoredAnswer = {
        version: FORMAT_VERSION,
        key: this.key,
        paths,
        folders: [...this.largeFolders.values()],
        env: environmentWitness(this.variables),
        ...answer,
      };
      const file = answerFile(this.root, this.command);
      fs.mkdirSync(dirname(file), { recursive: true });
      writeFileAtomicSync(file, JSON.stringify(stored));
    } catch {
      // not remembered
    }
  }
}

/**
 * Adds `dir` and everything in it to `into`; false when a symbolic link is met (its target
 * would need witnesses of its own) or there are too many.
 */
function addTree(dir: string, into: Set<string>): boolean {
  into.add(dir);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink() || into.size > MAX_WITNESSES) return false;
    if (entry.isDirectory()) {
      if (!addTree(path, into)) return false;
    } else {
      into.add(path);
    }
  }
  return true;
}

/** Is `path` the folder `dir` or inside it? */
function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir + sep);
}
