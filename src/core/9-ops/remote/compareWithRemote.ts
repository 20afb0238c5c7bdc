import pLimit from 'p-limit';
import type { RemoteStorage } from '../../4-storage/storage.js';
import type { Repo } from '../../6-repo/repo.js';
import type { UsedOutput } from '../../8-revisions/objects.js';
import { localExistingInTurns } from './cacheExisting.js';
import { downloadObject } from './download.js';
import { expand, type Expanded, type PlanItem } from './plan.js';
import { remoteExisting } from './remoteExisting.js';

export type CloudState = 'new' | 'deleted' | 'missing';

/**
 * `status -c`: for each object, `new` (only in the cache), `deleted` (only on the remote) or
 * `missing` (in neither). Objects in both are in sync and left out.
 */
export async function compareWithRemote(
  repo: Repo,
  storage: RemoteStorage,
  outputs: UsedOutput[],
  jobs: number,
): Promise<Record<string, CloudState>> {
  // As DVC does, listings missing from the cache are fetched (verified) to name their files.
  const limit = pLimit(Math.max(1, jobs));
  let plan = expand(repo, outputs);
  if (plan.unknownDirs.length > 0) {
    await Promise.all(plan.unknownDirs.map((d) => limit(() => downloadObject(repo, storage, d))));
    plan = expand(repo, outputs);
  }
  const items = [...plan.dirs.map((d) => d.item), ...plan.unknownDirs, ...plan.files];
  // The cache is checked while the remote is asked.
  const [onRemote, inCache] = await Promise.all([
    remoteExistingByDirs(storage, plan, items, jobs),
    localExistingInTurns(repo, items),
  ]);
  const differing: Array<{ path: string; state: CloudState }> = [];
  for (const item of items) {
    const local = inCache.has(item.key);
    const remote = onRemote.has(item.key);
    if (local && remote) continue;
    differing.push({ path: item.path, state: local ? 'new' : remote ? 'deleted' : 'missing' });
  }
  differing.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const status: Record<string, CloudState> = {};
  for (const { path, state } of differing) status[path] = state;
  return status;
}

/**
 * Which of `items` the remote holds, as DVC's `status -c` decides it: a folder whose `.dir`
 * object is on the remote counts as complete there, since push uploads the listing only after
 * every file of it. Only the other objects are looked up one by one or in listings, so a pushed
 * folder of 10,000 files costs one query rather than a listing of the remote.
 */
async function remoteExistingByDirs(
  storage: RemoteStorage,
  plan: Expanded,
  items: readonly PlanItem[],
  jobs: number,
): Promise<Set<string>> {
  const dirKeys = [...plan.dirs.map((d) => d.item.key), ...plan.unknownDirs.map((d) => d.key)];
  const found = await remoteExisting(storage, dirKeys, jobs);
  for (const dir of plan.dirs) {
    if (found.has(dir.item.key)) for (const key of dir.entries) found.add(key);
  }
  const asked = new Set(dirKeys);
  const rest = items.filter((i) => !found.has(i.key) && !asked.has(i.key)).map((i) => i.key);
  for (const key of await remoteExisting(storage, rest, jobs)) found.add(key);
  return found;
}
