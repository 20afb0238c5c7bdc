import type { HashName } from '../../3-objects/hashFile.js';
import type { Repo } from '../../6-repo/repo.js';
import { entryPath, remoteKey, type UsedOutput } from '../../8-revisions/objects.js';

/**
 * Planning a transfer: the objects a set of outputs uses, a tracked folder's files read from
 * its cached `.dir` listing, each object once.
 */

/** One object to move, with the name it is reported under. */
export interface PlanItem {
  name: HashName;
  oid: string;
  path: string;
  key: string;
}

/** A file of a tracked folder; its workspace path is built only if a message names it. */
class EntryItem implements PlanItem {
  constructor(
    readonly name: HashName,
    readonly oid: string,
    readonly key: string,
    private readonly folder: string,
    private readonly relpath: string,
  ) {}

  get path(): string {
    return entryPath(this.folder, this.relpath);
  }
}

/** The files listed by a cached `.dir` object, or undefined when it cannot be read. */
function dirEntriesOf(
  repo: Repo,
  name: HashName,
  oid: string,
  folder: string,
): EntryItem[] | undefined {
  let entries;
  try {
    entries = repo.odb.readDir(oid, name);
  } catch {
    return undefined;
  }
  return entries?.map((e) => new EntryItem(name, e.md5, remoteKey(name, e.md5), folder, e.relpath));
}

export interface Expanded {
  /** File objects (including dir entries), deduplicated. */
  files: PlanItem[];
  /** Directory objects with the keys of their entries. */
  dirs: Array<{ item: PlanItem; entries: string[] }>;
  /** `.dir` objects that are not in the local cache (contents unknown). */
  unknownDirs: PlanItem[];
}

export function expand(repo: Repo, outputs: UsedOutput[]): Expanded {
  // A remote key names one object (hash name and id), so it is what duplicates share.
  const seen = new Set<string>();
  const result: Expanded = { files: [], dirs: [], unknownDirs: [] };
  for (const out of outputs) {
    const { name, value } = out.hash;
    const key = remoteKey(name, value);
    if (seen.has(key)) continue;
    seen.add(key);
    const item: PlanItem = { name, oid: value, path: out.path, key };
    if (!value.endsWith('.dir')) {
      result.files.push(item);
      continue;
    }
    const entries = repo.odb.exists(value, name)
      ? dirEntriesOf(repo, name, value, out.path)
      : undefined;
    if (entries === undefined) {
      result.unknownDirs.push(item);
      continue;
    }
    const keys = new Array<string>(entries.length);
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i];
      keys[i] = entry.key;
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      result.files.push(entry);
    }
    result.dirs.push({ item, entries: keys });
  }
  return result;
}
