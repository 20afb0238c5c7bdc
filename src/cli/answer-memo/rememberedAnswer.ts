/**
 * Remembered answers of the read-only commands: `status` of the workspace, and `repro` when it
 * has nothing to run. A run records what it printed and every witness of what it read: each
 * file and folder it looked at, by inode, size, mtime, ctime and mode (absent ones too), and
 * each workspace folder it stamped, by its stamp (see folderStamp.ts), and each environment
 * variable it read, by its value (see envWitness.ts). The next run with the same arguments,
 * working folder and build checks the witnesses and, when none changed, prints the same answer
 * without loading the CLI: a new answer would read the same bytes and conclude the same. A 100-stage `status` answers in about the time Node takes to
 * start plus 20 ms, where running it took 90 ms more.
 *
 * This module checks a record. The CLI loads it first thing, before anything else, so it
 * imports only what it must; answerRecorder.ts makes the records and says what a run must not
 * do to be remembered. `SLUICE_ANSWER_MEMO=0` turns remembering and replaying off.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentUnchanged, type EnvWitness } from './envWitness.js';
import { DVC_DIR, findRoot, repoLockFile } from '../../core/2-fs/repoPaths.js';

/** What a run printed, and how it ended. */
export interface Answer {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * A large folder (stamped with the helper thread, see folderStamp.ts) known by its stamp. The
 * files and folders of a small one are witnesses themselves.
 */
export type FolderWitness = [absDir: string, relDir: string, digest: string, listingFile: string];

export interface StoredAnswer extends Answer {
  version: number;
  key: string;
  paths: [path: string, signature: string][];
  folders: FolderWitness[];
  /** The environment variables the run read (see envWitness.ts). */
  env: EnvWitness;
}

export const FORMAT_VERSION = 4;

/** The command a remembered answer may stand for, or undefined when none may. */
export function answerableCommand(argv: readonly string[]): 'status' | 'repro' | undefined {
  if (process.env.SLUICE_ANSWER_MEMO === '0') return undefined;
  const has = (...flags: string[]): boolean =>
    argv.some((arg) => flags.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
  if (has('-h', '--help')) return undefined;
  // The remote's status asks the remote; repro --pull may download; -i asks the user.
  if (argv[0] === 'status' && !has('-c', '--cloud', '-r', '--remote')) return 'status';
  if (argv[0] === 'repro' && !has('--pull', '-i', '--interactive')) return 'repro';
  return undefined;
}

/**
 * What must be the same for an answer to stand, besides its witnesses: the command line, the
 * working folder, whether output goes to terminals, and the CLI's build (its entry file,
 * rewritten by every build). Undefined outside the bundled CLI. The environment is witnessed
 * by the variables the run read (envWitness.ts), not here.
 */
export function answerKey(argv: readonly string[], cwd: string): string | undefined {
  const entry = fileURLToPath(new URL('./sluice.mjs', import.meta.url));
  const build = signatureOf(entry);
  if (build === '-') return undefined;
  const terminals = [process.stdout.isTTY === true, process.stderr.isTTY === true];
  return JSON.stringify([argv, cwd, terminals, build]);
}

/**
 * A path's witness: what stat says of it, or `-` when there is nothing there. The times are in
 * milliseconds with a fraction (about a quarter of a microsecond apart, beside inode and size):
 * asking for nanoseconds as bigints made the check of a 100-stage pipeline half as slow again.
 */
export function signatureOf(path: string): string {
  return signatureOfStats(fs.statSync(path, { throwIfNoEntry: false }));
}

/** signatureOf, from a stat already made. */
export function signatureOfStats(stats: fs.Stats | undefined): string {
  if (stats === undefined) return '-';
  return `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}:${stats.mode}`;
}

export function answerFile(root: string, command: string): string {
  return join(root, DVC_DIR, 'tmp', 'sluice', 'answers', `${command}.json`);
}

/**
 * The remembered answer to this command line, when every witness of it is unchanged; else
 * undefined, and the command runs. Never throws: a missing or unreadable record is no answer.
 */
export async function rememberedAnswer(
  argv: readonly string[],
  cwd: string,
): Promise<(Answer & { helperStarted: boolean }) | undefined> {
  try {
    const command = answerableCommand(argv);
    const root = command === undefined ? undefined : findRoot(cwd);
    if (command === undefined || root === undefined) return undefined;
    // Another process at work (or a lock left by a killed one): the command waits as usual.
    if (fs.existsSync(repoLockFile(join(root, DVC_DIR, 'tmp')))) return undefined;
    const stored = JSON.parse(fs.readFileSync(answerFile(root, command), 'utf8')) as StoredAnswer;
    if (stored.version !== FORMAT_VERSION || stored.key !== answerKey(argv, cwd)) {
      return undefined;
    }
    if (!environmentUnchanged(stored.env)) return undefined;
    // The helper thread starts (it takes tens of milliseconds) while the paths are checked;
    // this thread then lists the large folders and stats with it, as folderStamp does.
    const stamps =
      stored.folders.length === 0
        ? undefined
        : await import('../../core/5-workspace/folderStamp.js');
    void stamps?.startStampHelper();
    for (const [path, signature] of stored.paths) {
      if (signatureOf(path) !== signature) return undefined;
    }
    if (stamps !== undefined) {
      const { DvcIgnore } = await import('../../core/5-workspace/dvcIgnore.js');
      const ignore = new DvcIgnore(root);
      for (const [absDir, relDir, digest, listingFile] of stored.folders) {
        const stamp = stamps.folderStamp(absDir, relDir, ignore, { listingFile });
        if (stamp !== digest) {
          // The command runs instead, and finds this folder's stamp taken.
          stamps.keepStamp(absDir, relDir, stamp);
          return undefined;
        }
      }
    }
    const { stdout, stderr, exitCode } = stored;
    return { stdout, stderr, exitCode, helperStarted: stamps?.stampHelperStarted() === true };
  } catch {
    return undefined;
  }
}
