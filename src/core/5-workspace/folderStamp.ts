import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  MessageChannel,
  Worker,
  receiveMessageOnPort,
  type MessagePort,
} from 'node:worker_threads';
import { DvcIgnore } from './dvcIgnore.js';
import { FolderListing } from './folderListing.js';
import { StampBuilder, listUnits, statUnit, type WalkUnit } from './walk.js';

/** Folders with fewer files are stamped by one thread: a helper would not pay for itself. */
export const SHARED_STAMP_MIN_FILES = 4096;

/** Was a helper thread started in this process (and may still be running)? */
export function stampHelperStarted(): boolean {
  return StampHelper.started;
}

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
  options: StampOptions = {},
): string {
  const { share, listingFile } = options;
  const kept = takeKeptStamp(absDir, relDir);
  if (kept !== undefined) return kept;
  const early = takeEarlyJob(absDir, relDir);
  if (early !== undefined) {
    const stamp = early.finish(share);
    if (stamp !== undefined) return stamp;
  }
  const job = StampHelper.get()?.startJob();
  const units: WalkUnit[] = [];
  const listing = listingFile === undefined ? undefined : new FolderListing(listingFile);
  try {
    listUnits(
      absDir,
      relDir,
      ignore,
      (unit) => {
        units.push(unit);
        job?.publish(unit);
      },
      listing,
    );
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

export interface StampOptions {
  /** Filled with how the units were shared out. */
  share?: StampShare;
  /** Where the folder's listings are kept from one stamp to the next (see FolderListing). */
  listingFile?: string;
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
const FAILED = 4;
const SLOTS = 5;

/** What the helper answers per unit, on the job's channel. */
export type StampReply = { index: number; digest: string } | { index: number; failed: true };

/** What starts a job in the helper: the control array, and the channel units arrive on. */
export interface StampJobStart {
  control: SharedArrayBuffer;
  port: MessagePort;
  /** An early job (see startEarlyStamp): the helper lists this folder itself. */
  early?: EarlyFolder;
}

/** A folder an early job stamps: where it is, and the repo whose `.dvcignore` rules apply. */
export interface EarlyFolder {
  root: string;
  absDir: string;
  relDir: string;
  listingFile?: string;
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
    waitForDone(this.control, total - this.claimedHere);
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
  static started = false;

  /** Resolves true once the helper runs, false if it could not start. */
  readonly online: Promise<boolean>;

  private constructor(private readonly worker: Worker) {
    StampHelper.started = true;
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

  startEarlyJob(folder: EarlyFolder): EarlyStampJob {
    const control = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const { port1, port2 } = new MessageChannel();
    const start: StampJobStart = { control, port: port2, early: folder };
    this.worker.postMessage(start, [port2]);
    return new EarlyStampJob(control, port1);
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
    reportUnit(slots, port, index, units[index]);
  }
}

/**
 * Waits (at most STALL_MS of silence) until the helper has finished `count` units; a helper
 * that stops leaves the rest to this thread.
 */
function waitForDone(control: Int32Array, count: number): void {
  let done = Atomics.load(control, DONE);
  while (done < count) {
    if (Atomics.wait(control, DONE, done, STALL_MS) === 'timed-out') return;
    done = Atomics.load(control, DONE);
  }
}

/** The helper's answer for one unit: its digest, or that it failed (the other thread redoes it). */
function reportUnit(slots: Int32Array, port: MessagePort, index: number, unit: WalkUnit): void {
  let reply: StampReply;
  try {
    reply = { index, digest: statUnit(unit) };
  } catch {
    reply = { index, failed: true };
  }
  port.postMessage(reply);
  Atomics.add(slots, DONE, 1);
  Atomics.notify(slots, DONE);
}

/** Early jobs not yet joined, by folder. */
const earlyJobs = new Map<string, EarlyStampJob>();

/** Stamps taken ahead of need (keepStamp), each answered once by its folder's folderStamp. */
const keptStamps = new Map<string, string>();

/**
 * Keeps a stamp just computed for the folder's next folderStamp in this process: a remembered
 * answer that did not hold (see rememberedAnswer.ts) has stamped the folder already, and the
 * command that runs instead need not stamp it again.
 */
export function keepStamp(absDir: string, relDir: string, stamp: string): void {
  keptStamps.set(earlyKey(absDir, relDir), stamp);
}

function takeKeptStamp(absDir: string, relDir: string): string | undefined {
  if (keptStamps.size === 0) return undefined;
  const key = earlyKey(absDir, relDir);
  const stamp = keptStamps.get(key);
  keptStamps.delete(key);
  return stamp;
}

function earlyKey(absDir: string, relDir: string): string {
  return `${resolve(absDir)}\0${relDir}`;
}

/**
 * Starts stamping `relDir` of the repo at `root` on the helper thread at once, before this
 * thread has loaded the code that will ask for the stamp: a no-op `status` of a 100k-file
 * folder spends tens of milliseconds loading modules, and the helper lists and stats meanwhile.
 * The first folderStamp of that folder joins the job; later ones stamp afresh. Only for commands
 * that change nothing in the workspace before they stamp it (`status`).
 */
export function startEarlyStamp(root: string, relDir: string, listingFile?: string): void {
  const helper = StampHelper.get();
  if (helper === undefined) return;
  const absDir = resolve(root, relDir);
  const key = earlyKey(absDir, relDir);
  if (keptStamps.has(key)) return;
  const folder: EarlyFolder = {
    root,
    absDir,
    relDir,
    ...(listingFile === undefined ? {} : { listingFile }),
  };
  if (!earlyJobs.has(key)) earlyJobs.set(key, helper.startEarlyJob(folder));
}

function takeEarlyJob(absDir: string, relDir: string): EarlyStampJob | undefined {
  if (earlyJobs.size === 0) return undefined;
  const key = earlyKey(absDir, relDir);
  const job = earlyJobs.get(key);
  earlyJobs.delete(key);
  return job;
}

/** What the helper sends on an early job's channel: every unit it lists, then its digests. */
type EarlyMessage = { unit: WalkUnit } | StampReply;

/** This thread's side of an early job: receives the helper's units, takes its share of them. */
class EarlyStampJob {
  private readonly control: Int32Array;
  private readonly units: WalkUnit[] = [];
  private readonly digests: (string | undefined)[] = [];

  constructor(
    buffer: SharedArrayBuffer,
    private readonly port: MessagePort,
  ) {
    this.control = new Int32Array(buffer);
  }

  /**
   * Takes units until none is left and answers the folder's stamp; undefined when the helper's
   * listing failed or the helper stalled (the caller then stamps the folder itself, and meets
   * any error there).
   */
  finish(share?: StampShare): string | undefined {
    try {
      return this.work(share);
    } finally {
      this.port.close();
    }
  }

  private work(share?: StampShare): string | undefined {
    let claimedHere = 0;
    for (;;) {
      const index = Atomics.add(this.control, CLAIMED, 1);
      const state = this.waitForUnit(index);
      if (state === 'end') break;
      if (state !== 'ready' || !this.receiveUnits(index + 1)) return undefined;
      this.digests[index] = statUnit(this.units[index]);
      claimedHere += 1;
    }
    const total = Atomics.load(this.control, PUBLISHED);
    const theirs = total - claimedHere;
    waitForDone(this.control, theirs);
    if (!this.receiveUnits(total)) return undefined;
    this.drain();
    if (share !== undefined) {
      share.units = total;
      share.byHelper = theirs;
    }
    const stamp = new StampBuilder();
    for (const [index, unit] of this.units.entries()) {
      stamp.add(unit, this.digests[index] ?? statUnit(unit));
    }
    return stamp.digest();
  }

  /** Waits until unit `index` is published, or it is clear that it never will be. */
  private waitForUnit(index: number): 'ready' | 'end' | 'failed' | 'stalled' {
    for (;;) {
      const published = Atomics.load(this.control, PUBLISHED);
      if (index < published) return 'ready';
      if (Atomics.load(this.control, FAILED) === 1) return 'failed';
      if (Atomics.load(this.control, ENDED) === 1) {
        return index < Atomics.load(this.control, PUBLISHED) ? 'ready' : 'end';
      }
      if (Atomics.wait(this.control, PUBLISHED, published, STALL_MS) === 'timed-out') {
        return 'stalled';
      }
    }
  }

  /** Receives units until `count` have arrived; false if they stop coming. */
  private receiveUnits(count: number): boolean {
    const deadline = Date.now() + STALL_MS;
    while (this.units.length < count) {
      if (!this.drain()) {
        if (Date.now() > deadline) return false;
        // Published but not yet delivered: give the sender a moment.
        Atomics.wait(this.control, FAILED, 0, 1);
      }
    }
    return true;
  }

  /** Takes every message that has arrived; false if there was none. */
  private drain(): boolean {
    let any = false;
    for (
      let received = receiveMessageOnPort(this.port);
      received;
      received = receiveMessageOnPort(this.port)
    ) {
      any = true;
      const message = received.message as EarlyMessage;
      if ('unit' in message) this.units.push(message.unit);
      else if ('digest' in message) this.digests[message.index] = message.digest;
    }
    return any;
  }
}

/**
 * The helper's side of an early job (run by stampWorker.ts): lists the folder, sending each unit,
 * then takes units until none is left, sending each digest. A listing that fails is reported
 * as such; the other thread then lists the folder again and meets the error itself.
 */
export function runEarlyJob({ control, port, early }: StampJobStart): void {
  if (early === undefined) return;
  const slots = new Int32Array(control);
  const units: WalkUnit[] = [];
  try {
    const listing =
      early.listingFile === undefined ? undefined : new FolderListing(early.listingFile);
    listUnits(
      early.absDir,
      early.relDir,
      new DvcIgnore(early.root),
      (unit) => {
        units.push(unit);
        port.postMessage({ unit } satisfies EarlyMessage);
        Atomics.store(slots, PUBLISHED, units.length);
        Atomics.notify(slots, PUBLISHED);
      },
      listing,
    );
  } catch {
    Atomics.store(slots, FAILED, 1);
    Atomics.notify(slots, PUBLISHED);
    return;
  }
  Atomics.store(slots, ENDED, 1);
  Atomics.notify(slots, PUBLISHED);
  for (
    let index = Atomics.add(slots, CLAIMED, 1);
    index < units.length;
    index = Atomics.add(slots, CLAIMED, 1)
  ) {
    reportUnit(slots, port, index, units[index]);
  }
}
