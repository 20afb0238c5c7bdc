import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import { tempNameFor } from '../2-fs/atomicWrite.js';

interface LockHolder {
  pid: number;
  cmd: string;
  host: string;
  since: string;
  /** Given to the holder's stage commands (LOCK_TOKEN_ENV): their sluice runs share the lock. */
  token?: string;
}

/**
 * The variable through which a holder lends its lock to the processes of a stage command: a
 * `sluice` run there with the holder's token works under the holder's lock instead of waiting
 * for it (the holder waits for the command meanwhile).
 */
export const LOCK_TOKEN_ENV = 'SLUICE_LOCK_TOKEN';

export interface LockOptions {
  /** How long to wait for another process to release the lock. */
  waitSeconds: number;
  /** What to record as the holder's command, shown to whoever waits. */
  command: string;
}

export const DEFAULT_LOCK_WAIT_SECONDS = 5;

/**
 * A lock file that does not parse this long after it was last written was left by a process
 * killed between creating it and writing its holder (a holder writes within microseconds).
 */
const UNREADABLE_LOCK_GRACE_MS = 2000;

/**
 * The repo lock: a file created with O_EXCL that names its holder. A second process waits up to
 * `waitSeconds`, then fails naming the holder. A lock whose holder died (same host, PID gone) is
 * stale and taken over: it is renamed away atomically first, so two waiters cannot both take it.
 */
export class RepoLock {
  private held = false;
  /** The token written into a lock this process creates. */
  private readonly ownToken = randomBytes(16).toString('hex');
  /** Set when this process works under a lock lent by a stage command's holder. */
  private lentToken: string | undefined;

  constructor(private readonly path: string) {}

  async acquire(options: LockOptions): Promise<void> {
    const deadline = Date.now() + options.waitSeconds * 1000;
    mkdirSync(dirname(this.path), { recursive: true });
    const lent = process.env[LOCK_TOKEN_ENV];
    for (let attempt = 0; ; attempt += 1) {
      if (this.tryCreate(options.command)) {
        this.held = true;
        return;
      }
      const holder = this.readHolder();
      // Run by a stage command of the holder: work under its lock, and leave the lock to it.
      if (lent !== undefined && holder?.token === lent) {
        this.lentToken = lent;
        return;
      }
      if (holder === undefined ? this.isAbandoned() : isStale(holder)) {
        this.breakStale();
        continue;
      }
      if (Date.now() >= deadline) {
        const who =
          holder === undefined
            ? 'another process'
            : `process ${holder.pid} (\`${holder.cmd}\`, since ${holder.since})`;
        throw new SluiceError('LOCKED', `the repository is locked by ${who}`, {
          hint: 'wait for it to finish, or pass --wait SECONDS to wait longer',
        });
      }
      await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
    }
  }

  /**
   * What this process's stage commands are given to share the lock (see LOCK_TOKEN_ENV): the
   * token of the lock it works under, its own or one lent to it, so nested runs share it too.
   */
  get token(): string {
    return this.lentToken ?? this.ownToken;
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    rmSync(this.path, { force: true });
  }

  private tryCreate(command: string): boolean {
    const holder: LockHolder = {
      pid: process.pid,
      cmd: command,
      host: hostname(),
      since: new Date().toISOString(),
      token: this.ownToken,
    };
    const content = JSON.stringify(holder) + '\n';
    // The holder is written under a private name and linked into place, so the lock never
    // exists empty: a process killed while taking it leaves no lock or a complete one.
    const temp = tempNameFor(this.path);
    try {
      writeFileSync(temp, content, { mode: 0o644, flag: 'wx' });
      linkSync(temp, this.path);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      // A filesystem without hard links: create in place (an empty leftover is caught by
      // isAbandoned).
      return this.tryCreateInPlace(content);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  private tryCreateInPlace(content: string): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx', 0o644);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw error;
    }
    try {
      writeSync(fd, content);
    } catch (error) {
      rmSync(this.path, { force: true });
      throw error;
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** An unreadable lock that nobody has written to for a while: its creator died. */
  private isAbandoned(): boolean {
    try {
      return Date.now() - statSync(this.path).mtimeMs > UNREADABLE_LOCK_GRACE_MS;
    } catch {
      return false; // gone: the next attempt takes it
    }
  }

  private readHolder(): LockHolder | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<LockHolder>;
      if (typeof parsed.pid !== 'number') return undefined;
      return {
        pid: parsed.pid,
        cmd: String(parsed.cmd ?? ''),
        host: String(parsed.host ?? ''),
        since: String(parsed.since ?? ''),
        ...(typeof parsed.token === 'string' ? { token: parsed.token } : {}),
      };
    } catch {
      // Being written right now, or gone: treat as held and look again shortly.
      return undefined;
    }
  }

  private breakStale(): void {
    const aside = tempNameFor(this.path);
    try {
      renameSync(this.path, aside);
    } catch {
      return; // another waiter broke it first
    }
    // Between our read and the rename, another waiter may have broken the stale lock and taken
    // a fresh one; if what we moved aside belongs to a live process, put it back.
    let moved: LockHolder | undefined;
    try {
      const parsed = JSON.parse(readFileSync(aside, 'utf8')) as Partial<LockHolder>;
      if (typeof parsed.pid === 'number') {
        moved = { pid: parsed.pid, cmd: '', host: String(parsed.host ?? ''), since: '' };
      }
    } catch {
      moved = undefined;
    }
    if (moved !== undefined && !isStale(moved)) {
      try {
        linkSync(aside, this.path);
      } catch {
        // someone holds the lock again; the waiter loop will see it
      }
    }
    rmSync(aside, { force: true });
  }
}

function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) === 'ESRCH';
  }
}
