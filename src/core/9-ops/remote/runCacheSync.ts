import { mkdirSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { SluiceError } from '../../1-base/errors.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import type { RemoteStorage } from '../../4-storage/storage.js';
import type { Repo } from '../../6-repo/repo.js';
import { describe, withRetries, type SyncOptions, type SyncResult } from './transfer.js';

/** Every file under the local run cache, as remote keys `runs/…`. */
function localRunKeys(repo: Repo): string[] {
  const keys: string[] = [];
  const walk = (dir: string, key: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) walk(join(dir, e.name), `${key}${e.name}/`);
      else if (e.isFile()) keys.push(`${key}${e.name}`);
    }
  };
  walk(join(repo.cacheDir, 'runs'), 'runs/');
  return keys;
}

/** `--run-cache`: the `runs/` tree is copied as is in the direction of the sync. */
export async function syncRunCache(
  repo: Repo,
  storage: RemoteStorage,
  direction: 'push' | 'fetch',
  options: SyncOptions,
): Promise<SyncResult> {
  const result: SyncResult = { transferred: 0, missing: [], failed: [] };
  if (!storage.capabilities.canList) {
    throw new SluiceError('REMOTE', `run cache is not supported for '${storage.displayUrl}'`, {
      hint: 'use a remote that can list files (not plain http)',
    });
  }
  const remoteKeys = new Set<string>();
  for await (const key of storage.list('runs/')) remoteKeys.add(key);
  const localKeys = localRunKeys(repo);
  const limit = pLimit(Math.max(1, options.jobs));
  const localPath = (key: string): string => join(repo.cacheDir, ...key.split('/'));
  if (direction === 'push') {
    const todo = localKeys.filter((k) => !remoteKeys.has(k));
    await Promise.all(
      todo.map((key) =>
        limit(async () => {
          try {
            await withRetries(() => storage.upload(localPath(key), key));
            result.transferred += 1;
            options.progress?.tick?.(1, 0);
          } catch (error) {
            result.failed.push({ path: key, oid: '', reason: describe(error) });
          }
        }),
      ),
    );
    return result;
  }
  const have = new Set(localKeys);
  const todo = [...remoteKeys].filter((k) => !have.has(k));
  await Promise.all(
    todo.map((key) =>
      limit(async () => {
        const final = localPath(key);
        mkdirSync(dirname(final), { recursive: true });
        const temp = tempNameFor(final);
        try {
          await withRetries(() => storage.download(key, temp));
          await rename(temp, final);
          result.transferred += 1;
          options.progress?.tick?.(1, 0);
        } catch (error) {
          await rm(temp, { force: true });
          result.failed.push({ path: key, oid: '', reason: describe(error) });
        }
      }),
    ),
  );
  return result;
}
