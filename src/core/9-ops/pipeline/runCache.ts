import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { dumpYaml } from '../../7-metafiles/yaml/dump.js';
import { parseYamlFile } from '../../7-metafiles/yaml/parse.js';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import type { Repo } from '../../6-repo/repo.js';
import type { EntryObject } from '../../7-metafiles/entries.js';
import type { Stage } from '../../7-metafiles/stage.js';
import { PipelineFile } from '../../7-metafiles/pipelineFile.js';
import { hashPath } from '../../5-workspace/hashPath.js';
import { hashNameFor, storeInCache } from '../data/outputState.js';
import { pyJsonDumps, type PyValue } from '../../1-base/pyjson.js';

/** Deletes `size` and `nfiles` at every level, as DVC does before hashing a run-cache entry. */
function withoutMeta(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMeta);
  if (value !== null && typeof value === 'object' && value.constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== 'size' && k !== 'nfiles') out[k] = withoutMeta(v);
    }
    return out;
  }
  return value;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The run-cache key: the lock entry with outs reduced to their paths (doc section 8). */
export function runCacheKey(entry: EntryObject): string {
  const keyed: EntryObject = { ...entry };
  if (Array.isArray(entry.outs)) keyed.outs = (entry.outs as EntryObject[]).map((o) => o.path);
  return sha256(pyJsonDumps(withoutMeta(keyed) as PyValue));
}

export function runCacheValue(entry: EntryObject): string {
  return sha256(pyJsonDumps(withoutMeta(entry) as PyValue));
}

/**
 * Can this stage's run be cached? (doc section 8) With `requireHashes`, every file dependency
 * must also have a recorded hash (true after a run; before a restore they are computed).
 */
export function isRunCacheable(stage: Stage, requireHashes = true): boolean {
  if (stage.cmd === undefined || stage.props.alwaysChanged || stage.isCallback) return false;
  if (stage.deps.length === 0 || stage.outs.length === 0) return false;
  for (const dep of stage.deps) {
    if (dep.repoPath === undefined) return false;
    if (requireHashes && dep.params === undefined && dep.recorded.hash === undefined) return false;
  }
  for (const out of stage.outs) {
    if (out.persist) return false;
    if (!out.cache && out.kind === 'out') return false;
  }
  return true;
}

function runsDir(repo: Repo): string {
  return join(repo.cacheDir, 'runs');
}

/** Saves a run-cache entry: `<cache>/runs/<key[0:2]>/<key>/<value>`, written atomically. */
export function saveRunCache(repo: Repo, entry: EntryObject): void {
  const key = runCacheKey(entry);
  const value = runCacheValue(entry);
  const path = join(runsDir(repo), key.slice(0, 2), key, value);
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempNameFor(path);
  try {
    writeFileSync(temp, dumpYaml(entry));
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Records a stage's run (after it ran, or was committed): its outputs that are not cached
 * (metrics, plots) go into the cache too, so a restore can bring them back, then the entry.
 */
export function saveStageRun(repo: Repo, stage: Stage): void {
  for (const out of stage.outs) {
    if (out.cache) continue;
    const name = hashNameFor(out.recorded);
    const abs = repo.abs(out.repoPath);
    const now = hashPath(repo.hashContext, abs, out.repoPath, name);
    if (now !== undefined) storeInCache(repo, now, abs, name);
  }
  saveRunCache(repo, PipelineFile.lockEntryFor(repo, stage));
}

/** The newest saved entry for this key (by mtime), if any. */
export function findRunCache(repo: Repo, keyEntry: EntryObject): EntryObject | undefined {
  const key = runCacheKey(keyEntry);
  const dir = join(runsDir(repo), key.slice(0, 2), key);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  let newest: { name: string; mtime: number } | undefined;
  for (const name of names) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const mtime = statSync(join(dir, name)).mtimeMs;
    if (newest === undefined || mtime > newest.mtime) newest = { name, mtime };
  }
  if (newest === undefined) return undefined;
  try {
    const { data } = parseYamlFile(readFileSync(join(dir, newest.name), 'utf8'), newest.name);
    return data as EntryObject;
  } catch {
    return undefined;
  }
}
