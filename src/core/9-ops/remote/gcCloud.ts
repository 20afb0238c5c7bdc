import { nothingReclaimed, type Reclaimed } from '../../2-fs/tempFiles.js';
import type { HashName } from '../../3-objects/hashFile.js';
import { usedObjects } from '../data/gc.js';
import type { Repo } from '../../6-repo/repo.js';
import { StageIndex } from '../../7-metafiles/stageIndex.js';
import { openRemote } from '../../6-repo/remotes.js';
import pLimit from 'p-limit';
import type { RemoteStorage } from '../../4-storage/storage.js';
import { parseRemoteKey } from '../../8-revisions/objects.js';
import { withRetries } from './transfer.js';

/**
 * `gc -c`: removes from the remote every object the kept scope does not use (the workspace plus
 * `extra`, the objects of the revisions the caller collected), and the temporary files killed
 * uploads left there.
 */
export async function gcCloud(
  repo: Repo,
  extra: Map<HashName, Set<string>>,
  remoteName: string | undefined,
  jobs: number,
): Promise<{ removed: number; reclaimed: Reclaimed }> {
  const used = usedObjects(repo, StageIndex.load(repo), true);
  for (const [name, set] of extra) for (const oid of set) used.get(name)?.add(oid);
  const remote = await openRemote(
    repo.config,
    remoteName,
    Number.isInteger(jobs) ? jobs : undefined,
  );
  try {
    const removed = await gcRemote(remote.storage, used, remote.jobs);
    const reclaimed = (await remote.storage.removeDeadTemps?.('files/md5/')) ?? nothingReclaimed();
    return { removed, reclaimed };
  } finally {
    await remote.storage.close();
  }
}

/** `gc -c`: deletes remote objects (3.x and legacy) that are not in `used`. */
export async function gcRemote(
  storage: RemoteStorage,
  used: Map<HashName, Set<string>>,
  jobs: number,
): Promise<number> {
  const doomed: string[] = [];
  for await (const key of storage.list('')) {
    const parsed = parseRemoteKey(key);
    if (parsed === undefined) continue;
    if (used.get(parsed.name)?.has(parsed.oid) === true) continue;
    doomed.push(key);
  }
  const limit = pLimit(Math.max(1, jobs));
  await Promise.all(doomed.map((key) => limit(() => withRetries(() => storage.delete(key)))));
  return doomed.length;
}
