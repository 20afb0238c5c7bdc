import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import {
  MessageChannel,
  Worker,
  receiveMessageOnPort,
  type MessagePort,
} from 'node:worker_threads';
import type { DvcIgnore } from './dvcIgnore.js';
import { StampBuilder, listUnits, statUnit, type WalkUnit } from './walk.js';

/** Folders with fewer files are stamped by one thread: a helper would not pay for itself. */
export const SHARED_STAMP_MIN_FILES = 4096;

/**
 * Starts the helper thread ahead of need (it takes tens of milliseconds to start), when a repo
 * holds a folder large enough to be stamped with it.
 */
export function startStampHelper(): Promise<boolean> {
  return StampHelper.get()?.online ?? Promise.resolve(false);
}

/**
 * A folder's stamp (see walk.ts) computed by this thread and a helper thread together: this one
 * lists the folders and hands out their units, the helper starts statting the first units while
 * the listing goes on, then both take units until none is left. The stat calls of a 100k-file
 * folder are most of a no-op `status`, and the kernel serves two threads at once.
 *
 * The stamp is the same whoever stats which unit, and the same as walkFiles computes.
 */
export function folderStamp(
  absDir: string,
  relDir: string,
  ignore: DvcIgnore,
  share?: StampShare,
): string {
  const job = StampHelper.get()?.startJob();
  const units: WalkUnit[] = [];
  try {
    listUnits(absDir, relDir, ignore, (unit) => {
      units.push(unit);
      job?.publish(unit);
    });
  } finally {
    // Also when the listing fails: the helper then stops after the units it took.
    job?.endPublishing();
  }
  const digests = new Array<string | undefined>(units.length);
  if (job !== undefined) {
    for (let index = job.claim(); index < units.length; index = job.claim()) {
      digests[index] = statUnit(units[index]);
      job.claimedHere += 1;
    }
    job.collect(units.length, digests);
    if (share !== undefined) share.byHelper = units.length - job.claimedHere;
  }
  if (share !== undefined) share.units = units.length;
  const stamp = new StampBuilder();
  for (const [index, unit] of units.entries()) {
    // Units the helper did not report (it failed on one, or stopped) are done here, where an
    // error then reaches the user.
    stamp.add(unit, digests[index] ?? statUnit(unit));
  }
  return stamp.digest();
}

/** How a stamp's units were shared out: how many there were, how many the helper did. */
export interface StampShare {
  units: number;
  byHelper: number;
}

/** Slots of a job's shared control array. */
const CLAIMED = 0;
const PUBLISHED = 1;
const ENDED = 2;
const DONE = 3;
const SLOTS = 4;

/** What the helper answers per unit, on the job's channel. */
export type StampReply = { index: number; digest: string } | { index: number; failed: true };

/** What starts a job in the helper: the control array, and the channel units arrive on. */
export interface StampJobStart {
  control: SharedArrayBuffer;
  port: MessagePort;
}

/** A helper that has reported nothing for this long is given up on; its units are done here. */
const STALL_MS = 5000;

/** This thread's side of a job: publishes units, takes its share, collects the helper's. */
export class StampJob {
  claimedHere = 0;
  private readonly control: Int32Array;
  private published = 0;

  private constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    this.control = new Int32Array(buffer);
  }

  /** A job, and what to hand the helper (transferring `start.port`) to work on it. */
  static create(): { job: StampJob; start: StampJobStart } {
    const control = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const { port1, port2 } = new MessageChannel();
    return { job: new StampJob(control, port1), start: { control, port: port2 } };
  }

  publish(unit: WalkUnit): void {
    this.port.postMessage(unit);
    this.published += 1;
    Atomics.store(this.control, PUBLISHED, this.published);
    Atomics.notify(this.control, PUBLISHED);
  }

  endPublishing(): void {
    Atomics.store(this.control, ENDED, 1);
    Atomics.notify(this.control, PUBLISHED);
  }

  /** The next unit nobody has taken; at least the unit count when all are taken. */
  claim(): number {
    return Atomics.add(this.control, CLAIMED, 1);
  }

  /** Waits for the units the helper took, and puts their digests into `digests`. */
  collect(total: number, digests: (string | undefined)[]): void {
    const theirs = total - this.claimedHere;
    let done = Atomics.load(this.control, DONE);
    while (done < theirs) {
      if (Atomics.wait(this.control, DONE, done, STALL_MS) === 'timed-out') break;
      done = Atomics.load(this.control, DONE);
    }
    for (
      let reply = receiveMessageOnPort(this.port);
      reply;
      reply = receiveMessageOnPort(this.port)
    ) {
      const answer = reply.message as StampReply;
      if ('digest' in answer) digests[answer.index] = answer.digest;
    }
    this.port.close();
  }
}

/** Below this many CPUs a helper thread only competes with this one. */
const MIN_CPUS = 2;

/** The helper thread, started on first use and kept for the process (it does not hold it open). */
class StampHelper {
  private static instance: StampHelper | null | undefined;

  /** Resolves true once the helper runs, false if it could not start. */
  readonly online: Promise<boolean>;

  private constructor(private readonly worker: Worker) {
    worker.unref();
    this.online = new Promise((resolve) => {
      worker.once('online', () => resolve(true));
      worker.once('error', () => resolve(false));
    });
    // A helper that dies leaves its units to this thread (see collect); later folders go alone.
    worker.on('error', () => {
      StampHelper.instance = null;
    });
    worker.on('exit', () => {
      StampHelper.instance = null;
    });
  }

  static get(): StampHelper | undefined {
    if (StampHelper.instance === undefined) {
      const script = helperScript();
      const setting = Number.parseInt(process.env.SLUICE_HASH_WORKERS ?? '', 10);
      const allowed = !(Number.isInteger(setting) && setting === 0);
      StampHelper.instance =
        script !== undefined && allowed && availableParallelism() >= MIN_CPUS
          ? new StampHelper(new Worker(script))
          : null;
    }
    return StampHelper.instance ?? undefined;
  }

  startJob(): StampJob {
    const { job, start } = StampJob.create();
    this.worker.postMessage(start, [start.port]);
    return job;
  }
}

/** The helper's script: beside the CLI bundle's chunks, or beside this module in the tsc output. */
function helperScript(): URL | undefined {
  for (const name of ['./sluice-stamp-worker.mjs', './stampWorker.js']) {
    const url = new URL(name, import.meta.url);
    if (existsSync(url)) return url;
  }
  return undefined;
}

/**
 * The helper's side of a job (run by stampWorker.ts): takes units until none is left, answering
 * each unit's digest on the job's channel.
 */
export function helpWithJob({ control, port }: StampJobStart): void {
  const slots = new Int32Array(control);
  const units: WalkUnit[] = [];
  for (;;) {
    const index = Atomics.add(slots, CLAIMED, 1);
    // Wait until that unit is published, or the listing ended without it.
    for (;;) {
      const published = Atomics.load(slots, PUBLISHED);
      if (index < published) break;
      if (Atomics.load(slots, ENDED) === 1 && index >= Atomics.load(slots, PUBLISHED)) {
        port.close();
        return;
      }
      Atomics.wait(slots, PUBLISHED, published, 100);
    }
    while (units.length <= index) {
      const received = receiveMessageOnPort(port);
      if (received === undefined) {
        // Published but not yet delivered: give the sender a moment.
        Atomics.wait(slots, DONE, Atomics.load(slots, DONE), 1);
        continue;
      }
      units.push(received.message as WalkUnit);
    }
    let reply: StampReply;
    try {
      reply = { index, digest: statUnit(units[index]) };
    } catch {
      reply = { index, failed: true };
    }
    port.postMessage(reply);
    Atomics.add(slots, DONE, 1);
    Atomics.notify(slots, DONE);
  }
}
