/**
 * Makes the records rememberedAnswer.ts checks: watches one run of an answerable command and,
 * when it may stand for the next runs, writes what it printed and the witnesses of what it read.
 *
 * What a run read is found by watching Node's file functions while it runs, rather than by
 * listing what each command reads: a reader added later cannot be forgotten. The environment
 * variables it read are watched the same way (envWitness.ts). A run that does
 * anything else - writes outside `.dvc/tmp`, starts a process, opens a connection - is not
 * remembered. Nor is a run that read a file changed within the last `SETTLE_MS`, before or
 * while it ran: a change in the same clock tick as a read would keep its times (git's "racy"
 * case), and the witnesses are taken when the run is over. Sluice's own state in
 * `.dvc/tmp/sluice` (hash cache, listings) and its lock are not witnesses: they change how fast
 * an answer comes, not what it is.
 */
import fs from 'node:fs';
import type Net from 'node:net';
import os from 'node:os';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '../../core/2-fs/atomicWrite.js';
import { noteEnvironmentRead, stopWatchingEnvironment, watchEnvironment } from './envWitness.js';
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

let active: AnswerRecorder | undefined;

function activate(recorder: AnswerRecorder): void {
  active = recorder;
}

/**
 * Runs `stamp`, which hashes the workspace folder `absDir` and answers with its stamp, with the
 * reads inside the folder unwatched: the stamp is the folder's witness instead. A large folder,
 * one with a `listingFile`, is checked with the helper thread (folderStamp); the files of a
 * small one are witnesses themselves.
 */
export function witnessFolder<T>(
  absDir: string,
  relDir: string,
  stamp: () => { result: T; digest: string; listingFile?: string },
): T {
  const recorder = active;
  if (recorder === undefined) return stamp().result;
  recorder.paused += 1;
  try {
    const { result, digest, listingFile } = stamp();
    if (listingFile !== undefined) {
      recorder.largeFolders.set(absDir, [absDir, relDir, digest, listingFile]);
    } else {
      recorder.smallFolders.add(absDir);
    }
    return result;
  } finally {
    recorder.paused -= 1;
  }
}

type AnyFunction = (...args: unknown[]) => unknown;

/** File functions that read, by the name of their synchronous form minus `Sync`. */
const READS = [
  'access',
  'exists',
  'lstat',
  'opendir',
  'readdir',
  'readFile',
  'readlink',
  'realpath',
  'stat',
] as const;

/** File functions that write their first path; WRITES_TWO write their second one as well. */
const WRITES = [
  'appendFile',
  'chmod',
  'chown',
  'link',
  'mkdir',
  'mkdtemp',
  'rm',
  'rmdir',
  'symlink',
  'truncate',
  'unlink',
  'utimes',
  'writeFile',
] as const;
const WRITES_TWO = ['copyFile', 'cp', 'rename'] as const;

/** child_process functions: a run that starts a process is not remembered. */
const PROCESS_FUNCTIONS = [
  'exec',
  'execFile',
  'execFileSync',
  'execSync',
  'fork',
  'spawn',
  'spawnSync',
] as const;

/**
 * Watches one run of an answerable command (see the top of this file). `start` before the
 * command, `finish` with what it printed once it is over.
 */
export class AnswerRecorder {
  paused = 0;
  readonly largeFolders = new Map<string, FolderWitness>();
  readonly smallFolders = new Set<string>();
  private readonly paths = new Set<string>();
  private spoiled = false;
  private readonly startedAt = Date.now();
  private readonly restores: (() => void)[] = [];
  /** Where Sluice and DVC keep state: writes there change no answer. */
  private readonly tmpDir: string;
  /** Sluice's own state, and its lock: how fast an answer comes, not what it is; no witness. */
  private readonly stateDir: string;
  private readonly lockFile: string;
  private readonly buildDir = dirname(fileURLToPath(import.meta.url));

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
    if (command === undefined || root === undefined || key === undefined || active !== undefined) {
      // The CLI's entry may have started watching the environment for this run.
      stopWatchingEnvironment();
      return undefined;
    }
    return new AnswerRecorder(root, command, key);
  }

  start(): void {
    activate(this);
    // Usually started already by the CLI's entry, before the CLI's modules loaded.
    watchEnvironment();
    const files = fs as unknown as Record<string, AnyFunction>;
    const promises = fs.promises as unknown as Record<string, AnyFunction>;
    // Each function in its three forms: fs.statSync, fs.stat and fs.promises.stat.
    const everyForm = (name: string, before: (args: unknown[]) => void): void => {
      this.wrap(files, `${name}Sync`, before);
      this.wrap(files, name, before);
      this.wrap(promises, name, before);
    };
    for (const name of READS) everyForm(name, (args) => this.read(args[0]));
    for (const name of WRITES) everyForm(name, (args) => this.wrote(args[0]));
    for (const name of WRITES_TWO) {
      everyForm(name, (args) => {
        this.wrote(args[0]);
        this.wrote(args[1]);
      });
    }
    everyForm('open', (args) => {
      const flags = args[1];
      if (flags === undefined || flags === 'r' || flags === fs.constants.O_RDONLY) {
        this.read(args[0]);
      } else {
        this.wrote(args[0]);
      }
    });
    this.wrap(files, 'createReadStream', (args) => this.read(args[0]));
    this.wrap(files, 'createWriteStream', (args) => this.wrote(args[0]));
    // These two read the environment natively, where the Proxy on process.env does not see it.
    const system = os as unknown as Record<string, AnyFunction>;
    this.wrap(system, 'homedir', () => noteEnvironmentRead('HOME'));
    this.wrap(system, 'tmpdir', () => {
      for (const name of ['TMPDIR', 'TMP', 'TEMP']) noteEnvironmentRead(name);
    });
    // Loaded here, not at the top: answering from a record needs neither, and loading them
    // took a tenth of that.
    const require = createRequire(import.meta.url);
    const processes = require('node:child_process') as Record<string, AnyFunction>;
    const net = require('node:net') as typeof Net;
    for (const name of PROCESS_FUNCTIONS) {
      this.wrap(processes, name, () => (this.spoiled = true));
    }
    this.wrap(net.Socket.prototype as unknown as Record<string, AnyFunction>, 'connect', () => {
      this.spoiled = true;
    });
    syncBuiltinESMExports();
  }

  /**
   * Stops watching and, when the run may stand for the next ones, remembers its answer. Never
   * throws: an answer that cannot be written is simply not remembered.
   */
  finish(answer: Answer | undefined): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
    syncBuiltinESMExports();
    const env = stopWatchingEnvironment();
    if (active === this) active = undefined;
    if (answer === undefined || this.spoiled || env === undefined) return;
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
        env,
        ...answer,
      };
      const file = answerFile(this.root, this.command);
      fs.mkdirSync(dirname(file), { recursive: true });
      writeFileAtomicSync(file, JSON.stringify(stored));
    } catch {
      // not remembered
    }
  }

  private wrap(
    owner: Record<string, AnyFunction>,
    name: string,
    before: (args: unknown[]) => void,
  ): void {
    const original = owner[name];
    if (typeof original !== 'function') return;
    const watched = function (this: unknown, ...args: unknown[]): unknown {
      before(args);
      return original.apply(this, args);
    };
    // Keeps attached functions such as realpathSync.native.
    Object.assign(watched, original);
    owner[name] = watched;
    this.restores.push(() => (owner[name] = original));
  }

  private read(path: unknown): void {
    if (this.spoiled) return;
    const abs = absolutePath(path);
    // Inside a stamped folder only the `.dvcignore` files count: they decide what the stamp
    // covers (a small folder is checked file by file, without them).
    if (this.paused > 0 && (abs === undefined || basename(abs) !== '.dvcignore')) return;
    if (abs === undefined) {
      // A descriptor was witnessed when it was opened; anything else names nothing to check.
      if (typeof path !== 'number') this.spoiled = true;
      return;
    }
    // The CLI's own code is witnessed by the build's signature.
    if (abs === this.tmpDir || abs === this.lockFile || within(abs, this.stateDir)) return;
    if (within(abs, this.buildDir)) return;
    // Processes' start times, read to name temporary files and judge their owners: they change
    // with every process and say nothing of the answer.
    if (within(abs, '/proc')) return;
    this.paths.add(abs);
  }

  private wrote(path: unknown): void {
    const abs = absolutePath(path);
    if (abs === undefined || !within(abs, this.tmpDir)) this.spoiled = true;
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

function absolutePath(path: unknown): string | undefined {
  if (typeof path === 'string') return resolve(path);
  if (path instanceof URL) return path.protocol === 'file:' ? fileURLToPath(path) : undefined;
  if (Buffer.isBuffer(path)) return resolve(path.toString('utf8'));
  return undefined;
}
