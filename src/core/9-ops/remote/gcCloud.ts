import { nothingReclaimed, type Reclaimed } from '../../2-fs/tempFiles.js';
import type { HashName } from '../../3-objects/hashFile.js';
import { usedObjects } from '../data/gc.js';
import type { Repo } from '../../6-repo/repo.js';
import { StageIndex } from '../../7-metafiles/stageIndex.js';
import { openRemote } from '../../6-repo/remotes.js';
import { gcRemote } from './sync.js';

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
