/**
 * A worker thread of the hashing pool (see workerPool.ts): hashes files, or hashes and copies
 * them into the cache in one pass, a batch at a time. Runs the same code as the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { ObjectStore } from './objectStore.js';
import { SluiceError } from '../1-base/errors.js';
import { md5FileSync } from './hashFile.js';
import type { WorkerReply, WorkerTask } from './workerPool.js';

const stores = new Map<string, ObjectStore>();

function storeFor(cacheDir: string): ObjectStore {
  let store = stores.get(cacheDir);
  if (store === undefined) {
    store = new ObjectStore(cacheDir);
    stores.set(cacheDir, store);
  }
  return store;
}

function perform(task: WorkerTask): string[] {
  if (task.op === 'hash') return task.paths.map((path) => md5FileSync(path));
  const store = storeFor(task.cacheDir);
  return task.paths.map((path, i) =>
    store.addFile(path, task.known?.[i] ?? undefined, task.hardlink),
  );
}

parentPort?.on('message', (task: WorkerTask) => {
  let reply: WorkerReply;
  try {
    reply = { id: task.id, hashes: perform(task) };
  } catch (error) {
    reply = {
      id: task.id,
      error: {
        message: error instanceof Error ? error.message : String(error),
        code: error instanceof SluiceError ? error.code : undefined,
        hint: error instanceof SluiceError ? error.hint : undefined,
      },
    };
  }
  parentPort?.postMessage(reply);
});
