import { join } from 'node:path';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { SluiceError, type SluiceErrorCode } from '../errors.js';
import { hashWorkerCount, workerScript } from '../hash/workerPool.js';
import { walkFrom, type PendingDir, type WalkedFile } from './walk.js';

/** A walk shares its folders with helper threads once it has seen this many files. */
const SHARE_AFTER_FILES = 4096;
/** A helper that shows no progress for this long is given up on; its folders are walked here. */
const STALLED_MS = 60_000;
const WAIT_SLICE_MS = 1_000;

/** What a walking helper sends back: walk-relative paths and four numbers per file. */
export type WalkReply =
  | { relpaths: string[]; numbers: Float64Array }
  | { error: { message: string; code?: SluiceErrorCode } };

/** workerData of a walking helper (see hashWorker.ts). */
export interface WalkTask {
  mode: 'walk';
  dirs: PendingDir[];
  port: MessagePort;
  /** [0]: 1 once the reply is posted; [1]: a heartbeat the helper bumps as it goes. */
  signal: Int32Array;
}

interface Helper {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
  dirs: PendingDir[];
}

/**
 * Lets a synchronous walk of a large tree use other cores: after a few thousand files, the
 * folders still waiting on the stack are split with helper threads (the stat calls are most of
 * a no-op status of a 100k-file folder). The walk stays synchronous: the caller blocks on a
 * shared flag for the helpers' answers, then visits their files after its own, so the order of
 * files is the same on every run over the same tree.
 */
export class WalkHelpers {
  private readonly helpers: Helper[] = [];
  private decided = false;

  constructor(private readonly absDir: string) {}

  maybeShare(stack: PendingDir[], visited: number): void {
    if (this.decided || visited < SHARE_AFTER_FILES || stack.length < 2) return;
    this.decided = true;
    const threads = hashWorkerCount();
    const script = workerScript();
    if (threads < 2 || script === undefined) return;
    const count = Math.min(threads - 1, stack.length - 1);
    // The bottom of the stack is what this thread would walk last: that goes to the helpers.
    const given = stack.splice(0, Math.floor((stack.length * count) / (count + 1)));
    const per = Math.ceil(given.length / count);
    for (let k = 0; k < count; k++) {
      const dirs = given.slice(k * per, (k + 1) * per);
      if (dirs.length === 0) continue;
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(8));
      const task: WalkTask = { mode: 'walk', dirs, port: port2, signal };
      const worker = new Worker(script, { workerData: task, transferList: [port2] });
      worker.unref();
      this.helpers.push({ worker, port: port1, signal, dirs });
    }
  }

  /**
   * Waits for each helper and visits its files, last helper first: the order in which this
   * thread would have walked their folders itself.
   */
  finish(visit: (file: WalkedFile) => void): void {
    for (const helper of this.helpers.slice().reverse()) {
      const reply = this.await(helper);
      if (reply === undefined) {
        walkFrom(helper.dirs, undefined, visit);
        continue;
      }
      if ('error' in reply) {
        const { message, code } = reply.error;
        throw code === undefined ? new Error(message) : new SluiceError(code, message);
      }
      const { relpaths, numbers } = reply;
      for (const [i, relpath] of relpaths.entries()) {
        visit({
          relpath,
          absPath: join(this.absDir, relpath),
          stats: {
            ino: numbers[4 * i] ?? 0,
            mtimeMs: numbers[4 * i + 1] ?? 0,
            size: numbers[4 * i + 2] ?? 0,
            mode: numbers[4 * i + 3] ?? 0,
          },
        });
      }
    }
  }

  stop(): void {
    for (const helper of this.helpers.splice(0)) {
      helper.port.close();
      void helper.worker.terminate();
    }
  }

  /** The helper's reply, or undefined when it stalled (it is then left to stop()). */
  private await(helper: Helper): WalkReply | undefined {
    let lastBeat = -1;
    let idleMs = 0;
    while (Atomics.wait(helper.signal, 0, 0, WAIT_SLICE_MS) === 'timed-out') {
      const beat = Atomics.load(helper.signal, 1);
      idleMs = beat === lastBeat ? idleMs + WAIT_SLICE_MS : 0;
      lastBeat = beat;
      if (idleMs >= STALLED_MS) return undefined;
    }
    return receiveMessageOnPort(helper.port)?.message as WalkReply | undefined;
  }
}
