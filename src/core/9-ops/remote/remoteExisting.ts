import pLimit from 'p-limit';
import type { RemoteStorage } from '../../4-storage/storage.js';
import { withRetries } from './transfer.js';

/** Which objects a remote holds: per-key queries, or listings when they take fewer requests. */

/**
 * Which of `keys` exist on the remote. Few keys, or a remote that cannot list: one query each.
 * Otherwise DVC's estimate: list one prefix to guess the remote's size, and list the prefixes
 * the keys live in unless per-key queries would take fewer requests than listing pages.
 */
export async function remoteExisting(
  storage: RemoteStorage,
  keys: string[],
  jobs: number,
): Promise<Set<string>> {
  const found = new Set<string>();
  if (keys.length === 0) return found;
  const limit = pLimit(Math.max(1, jobs));
  const probeEach = async (): Promise<Set<string>> => {
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          if (await withRetries(() => storage.exists(key))) found.add(key);
        }),
      ),
    );
    return found;
  };
  if (!storage.capabilities.canList || keys.length === 1) return probeEach();
  const length = storage.capabilities.listPrefixLength;
  const probePrefix = length === 2 ? 'files/md5/00/' : 'files/md5/00/0';
  let sample = 0;
  for await (const _key of storage.list(probePrefix)) sample += 1;
  const estimated = sample * (length === 2 ? 256 : 4096);
  const pages = Math.ceil(estimated / 1000) * (estimated > 500_000 ? 5 : 1);
  const folders = new Set(keys.map((k) => listingPrefix(k, 2)));
  if (keys.length < pages && keys.length < folders.size * 1000) return probeEach();
  // A folder listing is cheap on a disk or over SFTP. An object store answers a page of up to
  // 1000 keys per request and a prefix's pages come one after another, so it is listed by the
  // hash's first character, 16 prefixes side by side (`files/md5/0` … `f`): a remote of 10,000
  // objects is 16 requests rather than 256, and up to ~250,000 objects no more requests in a row
  // than with 256 prefixes. A remote of at most one page is listed in one request.
  const hexChars = length === 2 ? 2 : estimated > 1_000 ? 1 : 0;
  const prefixes = hexChars === 2 ? folders : new Set(keys.map((k) => listingPrefix(k, hexChars)));
  const wanted = new Set(keys);
  const listAll = async (prefix: string): Promise<string[]> => {
    if (storage.listAll !== undefined) return storage.listAll(prefix);
    const listed: string[] = [];
    for await (const key of storage.list(prefix)) listed.push(key);
    return listed;
  };
  await Promise.all(
    foldersTogether(storage, prefixes).map((prefix) =>
      limit(async () => {
        const listed = await withRetries(() => listAll(prefix));
        for (const key of listed) if (wanted.has(key)) found.add(key);
      }),
    ),
  );
  return found;
}

/** From this many wanted folders of one parent, a backend that lists at once lists the parent. */
const WHOLE_PARENT_FROM = 64;

/**
 * The prefixes to list: for a folder-based backend that reads a whole listing at once (a local
 * folder, read synchronously), the parent of many wanted folders (`files/md5/`) in one call
 * rather than each folder in a call of its own.
 */
function foldersTogether(storage: RemoteStorage, prefixes: Set<string>): string[] {
  if (storage.listAll === undefined || storage.capabilities.listPrefixLength !== 2) {
    return [...prefixes];
  }
  const byParent = new Map<string, string[]>();
  for (const prefix of prefixes) {
    if (!prefix.endsWith('/')) return [...prefixes];
    const parent = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
    const group = byParent.get(parent);
    if (group === undefined) byParent.set(parent, [prefix]);
    else group.push(prefix);
  }
  return [...byParent].flatMap(([parent, group]) =>
    group.length >= WHOLE_PARENT_FROM ? [parent] : group,
  );
}

/**
 * The prefix that lists the objects sharing the first `hexChars` (0–2) characters of `key`'s
 * hash: `files/md5/ab/cd…` gives `files/md5/`, `files/md5/a` or `files/md5/ab/` (the object's
 * folder). Legacy keys (`ab/cd…`) work the same way from the remote's root.
 */
function listingPrefix(key: string, hexChars: 0 | 1 | 2): string {
  const last = key.lastIndexOf('/');
  if (hexChars === 2) return key.slice(0, last + 1);
  const folderStart = key.lastIndexOf('/', last - 1) + 1;
  return key.slice(0, folderStart + hexChars);
}
