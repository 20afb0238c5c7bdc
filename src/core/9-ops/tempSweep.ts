import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import {
  addReclaimed,
  deadTempRecords,
  nothingReclaimed,
  ownTempOwner,
  recordNameFor,
  recordTempFoldersIn,
  removeDeadTempsIn,
  type Reclaimed,
} from '../2-fs/tempFiles.js';
import { StageIndex } from '../7-metafiles/stageIndex.js';
import type { Repo } from '../6-repo/repo.js';

/** Where commands record the folders they write temporary files into (see tempFiles.ts). */
export function tempRecordsDir(repo: Repo): string {
  return join(repo.tmpDir, 'sluice', 'writing');
}

/** Starts recording this process's temporary folders for `repo` (ended by `endTempRecord`). */
export function startTempRecord(repo: Repo): void {
  recordTempFoldersIn(join(tempRecordsDir(repo), recordNameFor(ownTempOwner())));
}

/** Ends the record: whatever temporary files the command made are renamed or removed by now. */
export function endTempRecord(): void {
  recordTempFoldersIn(undefined);
}

export interface SweepOptions {
  /**
   * How far to look beyond the folders dead commands recorded:
   * - `records`: nowhere else (`status`, whose no-op must stay as fast as it is);
   * - `changed`: also the cache's folders, `.dvc/tmp` and the folders holding tracked outputs,
   *   those of them changed since the last sweep (a stat each: reading the 256 folders of a
   *   20,000-object cache took 90 ms);
   * - `all`: all of those, changed or not (`gc`).
   */
  scope: 'records' | 'changed' | 'all';
}

/** A folder changed this long before the last sweep began may still be unread (coarse clocks). */
const CLOCK_SLACK_MS = 2000;

/**
 * Removes the temporary files of killed commands: in the folders recorded by commands that
 * died, and (see `scope`) the cache, `.dvc/tmp` and the folders holding tracked outputs. Only
 * names Sluice makes, only regular files whose owner is gone, only in folders reached without a
 * symbolic link from the repository or the cache.
 */
export function sweepDeadTemps(repo: Repo, options: SweepOptions): Reclaimed {
  const records = deadTempRecords(tempRecordsDir(repo));
  const reclaimed = nothingReclaimed();
  if (records.length === 0 && options.scope === 'records') return reclaimed;
  const began = Date.now();
  const stampFile = join(tempRecordsDir(repo), 'swept');
  const since = options.scope === 'changed' ? lastSweep(stampFile) : undefined;
  // The folders looked into are reads like any other (see readObserver.ts).
  const observer = repo.observer;
  const changed = (folder: string): boolean => {
    observer.onRead(folder);
    if (since === undefined) return true;
    const stats = lstatSync(folder, { throwIfNoEntry: false });
    return stats !== undefined && stats.mtimeMs >= since - CLOCK_SLACK_MS;
  };
  observer.onRead(repo.root);
  observer.onRead(repo.cacheDir);
  const inside = new SafeFolders([repo.root, repo.cacheDir]);
  const cacheFolders = new Set<string>();
  const folders = new Set<string>();
  // Read whole when a dead command's record brought us here (its worker threads keep no
  // record); else, below, only the cache folders changed since the last sweep.
  addCacheFolders(repo, cacheFolders);
  if (options.scope !== 'records') {
    folders.add(repo.tmpDir).add(join(repo.tmpDir, 'sluice'));
    for (const name of listNames(join(repo.tmpDir, 'sluice'))) {
      // cloned repositories are git's, not ours to look through
      if (name !== 'clones') folders.add(join(repo.tmpDir, 'sluice', name));
    }
    for (const folder of outputFolders(repo)) folders.add(folder);
    for (const folder of [...cacheFolders]) if (!changed(folder)) cacheFolders.delete(folder);
    for (const folder of [...folders]) if (!changed(folder)) folders.delete(folder);
  }
  for (const record of records) for (const folder of record.folders) folders.add(folder);
  for (const folder of cacheFolders) folders.delete(folder);
  for (const folder of [...cacheFolders, ...folders]) observer.onRead(folder);
  for (const folder of cacheFolders) {
    if (inside.allows(folder)) addReclaimed(reclaimed, removeDeadTempsIn(folder, { legacy: true }));
  }
  for (const folder of folders) {
    if (inside.allows(folder)) addReclaimed(reclaimed, removeDeadTempsIn(folder));
  }
  for (const record of records) {
    // The record goes only once its folders are swept: a sweep killed half-way is done again.
    rmSync(record.path, { force: true });
  }
  if (options.scope !== 'records') writeSweepStamp(stampFile, began);
  return reclaimed;
}

/** The cache's roots and their two-character object folders. */
function addCacheFolders(repo: Repo, into: Set<string>): void {
  for (const root of [repo.odb.filesRoot, repo.cacheDir]) {
    repo.observer.onRead(root);
    into.add(root);
    for (const name of listNames(root)) {
      if (/^[0-9a-f]{2}$/.test(name)) into.add(join(root, name));
    }
  }
}

function lastSweep(stampFile: string): number | undefined {
  try {
    const value = Number(readFileSync(stampFile, 'utf8'));
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function writeSweepStamp(stampFile: string, began: number): void {
  try {
    mkdirSync(dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, String(began));
  } catch {
    // a read-only .dvc/tmp: the next sweep reads every folder again
  }
}

/** The folders that hold tracked outputs (a broken metafile only narrows the sweep). */
function outputFolders(repo: Repo): string[] {
  let index: StageIndex;
  try {
    index = StageIndex.load(repo);
  } catch {
    return [];
  }
  const folders = new Set<string>();
  for (const out of index.allOutputs()) folders.add(dirname(repo.abs(out.repoPath)));
  return [...folders];
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Folders a sweep may enter: inside one of the roots, reached from it without a symbolic link
 * (the path below the root and its real path below the root's real path are the same).
 */
class SafeFolders {
  private readonly roots: { path: string; real: string }[] = [];

  constructor(roots: string[]) {
    for (const path of roots) {
      try {
        this.roots.push({ path, real: realpathSync(path) });
      } catch {
        // a root that is not there allows nothing
      }
    }
  }

  allows(folder: string): boolean {
    if (!isAbsolute(folder)) return false;
    let real: string;
    try {
      real = realpathSync(folder);
    } catch {
      return false;
    }
    return this.roots.some((root) => {
      const below = relative(root.path, folder);
      if (below === '..' || below.startsWith(`..${sep}`) || isAbsolute(below)) return false;
      return relative(root.real, real) === below;
    });
  }
}
