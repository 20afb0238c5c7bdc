import { posix } from 'node:path';
import { isMapping } from '../1-base/mapping.js';
import { readRecordedState } from '../7-metafiles/entries.js';
import { folderOf, joinRepoPath } from '../7-metafiles/metafilePaths.js';
import type { HashInfo } from '../7-metafiles/stage.js';
import { decodeMetafile } from '../7-metafiles/yaml/decode.js';
import { parseYamlFile } from '../7-metafiles/yaml/parse.js';

/** An output with a recorded hash, as the metafiles of one revision record it. */
export interface RecordedOutput {
  /** Repo-relative path. */
  path: string;
  hash: HashInfo;
  cache: boolean;
  size?: number;
  nfiles?: number;
}

/** What the reader needs of a revision: its metafiles, and any file's bytes. */
export interface MetafileSource {
  metafiles(): Promise<string[]>;
  readFile(path: string): Promise<Buffer | null>;
}

/**
 * The outputs recorded at a revision: those of its `.dvc` files, and of the `dvc.lock` beside
 * each `dvc.yaml` (whose entries say which outputs are not cached). Read for `push -a`, `gc -a`,
 * `get` and `import`, so it is lenient: a broken metafile does not hide the others' outputs.
 * `label` names the revision in the errors it swallows.
 */
export async function readRecordedOutputs(
  source: MetafileSource,
  label: string,
): Promise<RecordedOutput[]> {
  const metafiles = await source.metafiles();
  const lockOf = (p: string): string => p.replace(/\.yaml$/, '.lock');
  const paths = metafiles.flatMap((p) => (posix.basename(p) === 'dvc.yaml' ? [p, lockOf(p)] : [p]));
  const blobs = await Promise.all(paths.map((p) => source.readFile(p)));
  const uncached = new Set<string>();
  const outputs: RecordedOutput[] = [];
  paths.forEach((path, i) => {
    const blob = blobs[i];
    if (blob === null || blob === undefined) return;
    const dir = folderOf(path);
    let data: unknown;
    try {
      const where = `${label}:${path}`;
      data = parseYamlFile(decodeMetafile(blob, where), where).data;
    } catch {
      return; // a broken metafile in history does not stop the others
    }
    if (!isMapping(data)) return;
    const base = posix.basename(path);
    if (base === 'dvc.yaml') {
      collectUncached(data, dir, uncached);
    } else if (base === 'dvc.lock') {
      const stages = isMapping(data.stages) && data.schema !== undefined ? data.stages : data;
      for (const stage of Object.values(stages)) {
        if (isMapping(stage)) outputs.push(...outputsOf(stage.outs, dir));
      }
    } else {
      const wdir = typeof data.wdir === 'string' ? joinRepoPath(dir, data.wdir) : dir;
      outputs.push(...outputsOf(data.outs, wdir));
    }
  });
  for (const out of outputs) if (uncached.has(out.path)) out.cache = false;
  return outputs;
}

function outputsOf(entries: unknown, dir: string): RecordedOutput[] {
  if (!Array.isArray(entries)) return [];
  const found: RecordedOutput[] = [];
  for (const entry of entries) {
    if (!isMapping(entry) || typeof entry.path !== 'string') continue;
    const state = readRecordedState(entry);
    if (state.hash === undefined) continue;
    const path = joinRepoPath(dir, entry.path);
    if (path === '..' || path.startsWith('../') || posix.isAbsolute(path)) continue;
    found.push({
      path,
      hash: state.hash,
      cache: entry.cache !== false,
      ...(state.size === undefined ? {} : { size: state.size }),
      ...(state.nfiles === undefined ? {} : { nfiles: state.nfiles }),
    });
  }
  return found;
}

/** The outputs a dvc.yaml marks `cache: false` (lock entries do not say). */
function collectUncached(data: Record<string, unknown>, dir: string, into: Set<string>): void {
  if (!isMapping(data.stages)) return;
  for (const stage of Object.values(data.stages)) {
    if (!isMapping(stage)) continue;
    const wdir = typeof stage.wdir === 'string' ? joinRepoPath(dir, stage.wdir) : dir;
    for (const key of ['outs', 'metrics', 'plots']) {
      const list = stage[key];
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (!isMapping(item)) continue;
        for (const [path, flags] of Object.entries(item)) {
          if (isMapping(flags) && flags.cache === false) into.add(joinRepoPath(wdir, path));
        }
      }
    }
  }
}
