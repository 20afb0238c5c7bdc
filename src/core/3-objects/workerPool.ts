import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SluiceError, type SluiceErrorCode } from '../1-base/errors.js';

/** What a worker does with one batch of files. */
export type WorkerTask =
  | { id: number; op: 'hash'; paths: string[] }
  | {
      id: number;
      op: 'store';
      cacheDir: string;
      hardlink: boolean;
      paths: string[];
      /** Hashes the hash cache already knows (the copy then needs no hashing), or null. */
      known?: (string | null)[];
    };

export type WorkerReply =
  | { id: number; hashes: string[] }
  | { id: number; error: { message: string; code?: SluiceErrorCode; hint?: string } };

/** Without a built worker script (the core run from its TypeScript sources) there is no pool. */
export function workerScript(): URL | undefined {
  // The CLI bundle puts the worker beside its chunks; the tsc output beside this module.
  for (const name of ['./sluice-hash-worker.mjs', './hashWorker.js']) {
    const url = new URL(name, import.meta.url);
    if (existsSync(url)) return url;
  }
  return undefined;
}

/**
 * How many worker threads hash at once: one per core up to 4 (reads of small files stop
 * scaling beyond that), `SLUICE_HASH_WORKERS` to override (0 hashes on the main thread).
 */
export function hashWorkerCount(): number {
  const setting = Number.parseInt(process.env.SLUICE_HASH_WORKERS ?? '', 10);
  if (Number.isInteger(setting) && setting >= 0) return setting;
  return Math.min(4, availableParallelism());
}

function toError(reply: Extract<WorkerReply, { error: unknown }>): Error {
  const { message, code, hint } = reply.error;
  return code === undefined ? new Error(message) : new SluiceError(code, message, { hint });
}

/**
 * Runs batches on a pool of worker threads started for the occasion, each worker taking the next
 * batch when it is done with one (small and large files even out). Resolves with the hashes of
 * every batch, in order, or undefined when no pool can be had (the caller then works alone).
 * `onBatchDone` sees each batch as it completes, for progress.
 */
export async function runHashBatches(
  batches: Array<
    | Omit<Extract<WorkerTask, { op: 'hash' }>, 'id'>
    | Omit<Extract<WorkerTask, { op: 'store' }>, 'id'>
  >,
  onBatchDone?: (index: number, hashes: string[]) => void,
): Promise<string[][] | undefined> {
  const script = workerScript();
  const count = Math.min(hashWorkerCount(), batches.length);
  if (script === undefined || count < 1) return undefined;
  const results: string[][] = new Array<string[]>(batches.length);
  let next = 0;
  const workers: Worker[] = [];
  const runWorker = (worker: Worker): Promise<void> =>
    new Promise((resolve, reject) => {
      const give = (): void => {
        if (next >= batches.length) {
          resolve();
          return;
        }
        const id = next++;
        worker.postMessage({ ...batches[id], id });
      };
      worker.on('message', (reply: WorkerReply) => {
        if ('error' in reply) {
          reject(toError(reply));
          return;
        }
        results[reply.id] = reply.hashes;
        onBatchDone?.(reply.id, reply.hashes);
        give();
      });
      worker.once('error', reject);
      // After the last batch this rejects an already settled promise, which is a no-op.
      worker.once('exit', (code) => {
        reject(new Error(`a hashing worker stopped early (exit code ${code})`));
      });
      give();
    });
  try {
    const running: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script);
      workers.push(worker);
      running.push(runWorker(worker));
    }
    await Promise.all(running);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return results;
}

/** Splits work into batches of at most `maxFiles` files and about `maxBytes` bytes. */
export function batchBySize<T>(
  items: T[],
  sizeOf: (item: T) => number,
  maxFiles = 256,
  maxBytes = 64 * 1024 * 1024,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxFiles || bytes >= maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += sizeOf(item);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
