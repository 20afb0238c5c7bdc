import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Repo } from '../../6-repo/repo.js';
import type { PlanItem } from './plan.js';

/** Which objects of a plan the local cache holds. */

/** Below this many wanted objects in one cache folder, a stat each is cheaper than a listing. */
const LIST_LOCAL_FROM = 16;

/**
 * Which of `items` are in the local cache. Where many objects share a cache folder (a pushed
 * folder of 10,000 files fills all 256 of them), one listing of the folder replaces a stat per
 * object; otherwise each object is checked alone.
 */
export function localExisting(repo: Repo, items: readonly PlanItem[]): Set<string> {
  const found = new Set<string>();
  for (const _step of localExistingSteps(repo, items, found));
  return found;
}

/**
 * `localExisting` in turns of a few cache folders, giving way to the event loop between them:
 * run while listings of the remote are in flight, it costs no wall time.
 */
export async function localExistingInTurns(
  repo: Repo,
  items: readonly PlanItem[],
): Promise<Set<string>> {
  const found = new Set<string>();
  let folders = 0;
  for (const _step of localExistingSteps(repo, items, found)) {
    if (++folders % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return found;
}

/** Checks one cache folder's share of `items` per step, adding the ones present to `found`. */
function* localExistingSteps(
  repo: Repo,
  items: readonly PlanItem[],
  found: Set<string>,
): Generator<void> {
  const byFolder = new Map<string, PlanItem[]>();
  for (const item of items) {
    const folder = `${item.name}:${item.oid.slice(0, 2)}`;
    const group = byFolder.get(folder);
    if (group === undefined) byFolder.set(folder, [item]);
    else group.push(item);
  }
  for (const group of byFolder.values()) {
    const first = group[0];
    if (first === undefined) continue;
    if (group.length < LIST_LOCAL_FROM) {
      for (const item of group) if (repo.odb.exists(item.oid, item.name)) found.add(item.key);
    } else {
      const folder = dirname(repo.odb.oidPath(first.oid, first.name));
      let files: Set<string>;
      try {
        // A cache folder holds only objects (and temporary files, whose names differ).
        files = new Set(readdirSync(folder));
      } catch {
        files = new Set(); // no folder: none of these objects is here
      }
      for (const item of group) if (files.has(item.oid.slice(2))) found.add(item.key);
    }
    yield;
  }
}
