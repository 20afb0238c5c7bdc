import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { DvcFileError, errnoCode, SluiceError } from '../1-base/errors.js';
import { loadMachineYaml } from './machineYaml.js';
import { decodeMetafile } from './yaml/decode.js';
import { dumpYaml } from './yaml/dump.js';
import { parseYamlFile } from './yaml/parse.js';
import { updateYamlText } from './yaml/update.js';
import type { Repo } from '../6-repo/repo.js';
import { isUrl, resolveInRepo } from './dvcFile.js';
import { readRecordedState, type EntryObject } from './entries.js';
import { Dependency, Output, Stage, type RecordedState } from './stage.js';
import { compareCodePoints, pyEquals } from '../1-base/python.js';
import {
  DEFAULT_PARAMS_FILE,
  loadDvcYaml,
  type DvcYamlDefinition,
  type StageDefinition,
} from './dvcYaml.js';
import { parseParamsFile, readParams } from './paramsFile.js';

export const LOCK_SCHEMA = '2.0';

/** A `dvc.yaml` with its `dvc.lock`. Stage paths are resolved against the file's folder. */
export class PipelineFile {
  readonly stages: Stage[] = [];
  private readonly lockStages = new Map<string, EntryObject>();

  private constructor(
    /** Repo-relative path of the dvc.yaml. */
    readonly path: string,
    readonly text: string,
    readonly definition: DvcYamlDefinition,
  ) {}

  private rawData: EntryObject | undefined;

  /** The file as plain data, for edits (parsed on first use: most commands never need it). */
  get data(): EntryObject {
    this.rawData ??= (parseYamlFile(this.text, this.path).data ?? {}) as EntryObject;
    return this.rawData;
  }

  get dir(): string {
    const dir = posix.dirname(this.path);
    return dir === '.' ? '' : dir;
  }

  get lockPath(): string {
    return this.path.replace(/\.yaml$/, '.lock');
  }

  static load(repo: Repo, path: string): PipelineFile {
    const text = readOptional(repo, path) ?? '';
    const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
    const definition = loadDvcYaml(text, {
      file: path,
      parseCache: repo.parseCache,
      observer: repo.observer,
      readFile: (rel) => readOptional(repo, dir === '' ? rel : `${dir}/${rel}`),
    });
    const file = new PipelineFile(path, text, definition);
    file.loadLock(repo);
    for (const def of definition.stages) file.stages.push(file.buildStage(repo, def));
    return file;
  }

  private loadLock(repo: Repo): void {
    const text = readOptional(repo, this.lockPath);
    if (text === undefined) return;
    const data = repo.parseCache.get('dvc.lock', text, () => loadMachineYaml(text, this.lockPath));
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new DvcFileError(this.lockPath, 'expected a mapping at the top level', { line: 1 });
    }
    const raw = data as EntryObject;
    let stages: unknown = raw;
    if ('schema' in raw) {
      if (raw.schema !== LOCK_SCHEMA) {
        throw new DvcFileError(
          this.lockPath,
          `unsupported lock file schema '${String(raw.schema)}'`,
        );
      }
      stages = raw.stages ?? {};
    }
    if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
      throw new DvcFileError(this.lockPath, "'stages' must be a mapping");
    }
    for (const [name, entry] of Object.entries(stages as EntryObject)) {
      if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
        this.lockStages.set(name, entry as EntryObject);
      }
    }
  }

  private buildStage(repo: Repo, def: StageDefinition): Stage {
    const wdir = resolveInRepo(this.path, this.dir, def.wdir);
    const lock = this.lockStages.get(def.name);
    const lockDeps = entriesByPath(lock?.deps);
    const lockOuts = entriesByPath(lock?.outs);
    const lockParams = (lock?.params ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const stage = new Stage('pipeline', this.path, wdir, {
      name: def.name,
      cmd: def.cmd,
      frozen: def.frozen,
      alwaysChanged: def.alwaysChanged,
      ...(def.desc === undefined ? {} : { desc: def.desc }),
    });
    const seen = new Set<string>();
    const claim = (path: string): void => {
      if (seen.has(path)) {
        throw new SluiceError(
          'BAD_DVCFILE',
          `'${this.path}': stage '${def.name}' lists '${path}' more than once`,
          {
            hint: 'a path can appear once per stage, as a dependency or as an output',
          },
        );
      }
      seen.add(path);
    };
    for (const params of def.params) {
      const recorded = lockParams[params.file];
      stage.deps.push(
        new Dependency(
          stage,
          params.file,
          resolveInRepo(this.path, wdir, params.file),
          {},
          {
            file: params.file,
            keys: params.keys,
            recorded: recorded === undefined ? undefined : recorded,
          },
        ),
      );
    }
    for (const path of def.deps) {
      const external = isUrl(path);
      const repoPath = external ? undefined : resolveInRepo(this.path, wdir, path);
      if (repoPath !== undefined) claim(repoPath);
      const entry = lockDeps.get(path);
      stage.deps.push(
        new Dependency(stage, path, repoPath, entry === undefined ? {} : readRecordedState(entry)),
      );
    }
    for (const out of def.outs) {
      const repoPath = resolveInRepo(this.path, wdir, out.path);
      claim(repoPath);
      const entry = lockOuts.get(out.path);
      stage.outs.push(
        new Output(stage, out.path, repoPath, entry === undefined ? {} : readRecordedState(entry), {
          cache: out.cache,
          persist: out.persist,
          kind: out.kind,
          ...(out.remote === undefined ? {} : { remote: out.remote }),
          push: out.push,
        }),
      );
    }
    return stage;
  }

  lockedCmd(name: string): string | string[] | undefined {
    return this.lockStages.get(name)?.cmd as string | string[] | undefined;
  }

  hasLockEntry(name: string): boolean {
    return this.lockStages.has(name);
  }

  /** The lock entry a stage would get from its current recorded state (doc 5.2 layout). */
  static lockEntryFor(repo: Repo, stage: Stage): EntryObject {
    const entry: EntryObject = { cmd: stage.cmd };
    const fileDeps = stage.deps.filter((d) => d.params === undefined);
    if (fileDeps.length > 0) {
      entry.deps = sortByPath(fileDeps.map((d) => lockItem(d.path, d.recorded)));
    }
    const params = stage.deps.filter((d) => d.params !== undefined);
    if (params.length > 0) {
      const files = params
        .map((d) => d.params)
        .filter((p) => p !== undefined)
        .sort((a, b) =>
          a.file === DEFAULT_PARAMS_FILE
            ? -1
            : b.file === DEFAULT_PARAMS_FILE
              ? 1
              : compareCodePoints(a.file, b.file),
        );
      const values: EntryObject = {};
      for (const spec of files) {
        const recorded = spec.recorded ?? {};
        const sorted: EntryObject = {};
        for (const key of Object.keys(recorded).sort(compareCodePoints))
          sorted[key] = recorded[key];
        values[spec.file] = sorted;
      }
      entry.params = values;
    }
    if (stage.outs.length > 0) {
      entry.outs = sortByPath(stage.outs.map((o) => lockItem(o.path, o.recorded)));
    }
    return entry;
  }

  /** Reads each params dependency's current values into its record (before a lock write). */
  static recordParams(repo: Repo, stage: Stage): void {
    for (const dep of stage.deps) {
      if (dep.params === undefined || dep.repoPath === undefined) continue;
      const text = readOptional(repo, dep.repoPath);
      if (text === undefined) {
        throw new SluiceError('NOT_FOUND', `params file '${dep.repoPath}' does not exist`, {
          hint: `create it, or remove the params of stage '${stage.name ?? ''}'`,
        });
      }
      const tree = parseParamsFile(dep.repoPath, text);
      (dep.params as { recorded: Record<string, unknown> | undefined }).recorded = readParams(
        tree,
        dep.params.keys,
      );
    }
  }

  private lockWrites: Promise<unknown> = Promise.resolve();

  /**
   * Writes the lock entries of these stages; other entries are kept, new ones appended, and the
   * file is left alone when every entry is equal (as Python compares them) to the one it had.
   * Writes are queued, so stages finishing at the same time (repro -j) cannot lose each other's entry.
   */
  writeLock(repo: Repo, stages: Stage[]): Promise<LockWrite> {
    const write = async (): Promise<LockWrite> => {
      const current = new PipelineLock(repo, this.lockPath);
      const created = !current.exists;
      for (const stage of stages) {
        PipelineFile.recordParams(repo, stage);
        const entry = PipelineFile.lockEntryFor(repo, stage);
        current.set(stage.name ?? '', entry);
        this.lockStages.set(stage.name ?? '', entry);
      }
      const changed = await current.save();
      return { path: this.lockPath, changed, created: created && changed };
    };
    const next = this.lockWrites.then(write, write);
    this.lockWrites = next.catch(() => undefined);
    return next;
  }

  /** Removes a stage from dvc.yaml and its entry from dvc.lock. */
  async removeStage(repo: Repo, name: string): Promise<void> {
    const stages = this.data.stages as EntryObject | undefined;
    if (stages !== undefined && name in stages) {
      delete stages[name];
      if (Object.keys(stages).length === 0) delete this.data.stages;
      // A file left with nothing in it is deleted, as DVC deletes it.
      if (Object.keys(this.data).length === 0) repo.workspace.remove(this.path);
      else await repo.workspace.writeFile(this.path, updateYamlText(this.text, this.data));
    }
    const lock = new PipelineLock(repo, this.lockPath);
    lock.delete(name);
    await lock.save();
  }
}

/** What `writeLock` did. */
export interface LockWrite {
  /** Repo-relative path of the lock file. */
  path: string;
  /** Whether an entry changed (else the file was left alone). */
  changed: boolean;
  /** Whether the file did not exist before. */
  created: boolean;
}

/** The lock file as data: read fresh when writing, so entries of other stages stay as they are. */
class PipelineLock {
  private readonly stages = new Map<string, EntryObject>();
  private changed = false;
  readonly exists: boolean;

  constructor(
    private readonly repo: Repo,
    private readonly path: string,
  ) {
    const text = readOptional(repo, path);
    this.exists = text !== undefined;
    if (text === undefined) return;
    const raw = (loadMachineYaml(text, path) ?? {}) as EntryObject;
    const stages = ('schema' in raw ? raw.stages : raw) as EntryObject | undefined;
    for (const [name, entry] of Object.entries(stages ?? {})) {
      this.stages.set(name, entry as EntryObject);
    }
  }

  set(name: string, entry: EntryObject): void {
    const old = this.stages.get(name);
    // Python's ==, as DVC compares: a float read back from the lock (a plain number) equals
    // the same float read from a params file (a PyFloat).
    if (old !== undefined && pyEquals(old, entry)) return;
    this.stages.set(name, entry);
    this.changed = true;
  }

  delete(name: string): void {
    if (this.stages.delete(name)) this.changed = true;
  }

  /** Writes the file if an entry changed; says whether it did. */
  async save(): Promise<boolean> {
    if (!this.changed) return false;
    if (this.stages.size === 0) {
      this.repo.workspace.remove(this.path);
      return true;
    }
    const stages: EntryObject = {};
    for (const [name, entry] of this.stages) stages[name] = entry;
    await this.repo.workspace.writeFile(this.path, dumpYaml({ schema: LOCK_SCHEMA, stages }));
    return true;
  }
}

function lockItem(path: string, recorded: RecordedState): EntryObject {
  const item: EntryObject = { path };
  const hash = recorded.hash;
  if (hash !== undefined) {
    if (hash.name === 'md5') item.hash = 'md5';
    item.md5 = hash.value;
  }
  if (recorded.etag !== undefined) item.etag = recorded.etag;
  if (recorded.checksum !== undefined) item.checksum = recorded.checksum;
  if (recorded.size !== undefined) item.size = recorded.size;
  if (recorded.nfiles !== undefined) item.nfiles = recorded.nfiles;
  if (recorded.isexec === true) item.isexec = true;
  return item;
}

function sortByPath(items: EntryObject[]): EntryObject[] {
  return items.sort((a, b) => compareCodePoints(String(a.path), String(b.path)));
}

function entriesByPath(list: unknown): Map<string, EntryObject> {
  const map = new Map<string, EntryObject>();
  if (!Array.isArray(list)) return map;
  for (const item of list) {
    if (
      typeof item === 'object' &&
      item !== null &&
      typeof (item as EntryObject).path === 'string'
    ) {
      map.set((item as EntryObject).path as string, item as EntryObject);
    }
  }
  return map;
}

function readOptional(repo: Repo, repoRel: string): string | undefined {
  try {
    const abs = repo.abs(repoRel);
    repo.observer.onRead(abs);
    return decodeMetafile(readFileSync(abs), repoRel);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'EISDIR') return undefined;
    throw error;
  }
}

export function loadPipelineFile(repo: Repo, path: string): PipelineFile {
  return PipelineFile.load(repo, path);
}
