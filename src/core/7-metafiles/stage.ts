import { posix } from 'node:path';
import { SluiceError } from '../1-base/errors.js';
import { assertWorkspacePath } from '../5-workspace/guardedWorkspace.js';
import type { HashName } from '../3-objects/hashFile.js';

export interface HashInfo {
  name: HashName;
  /** The md5 (with `.dir` for directories). */
  value: string;
}

/** What a metafile records about a dependency or output. */
export interface RecordedState {
  hash?: HashInfo;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** Hashes of external (non-repo) paths, kept as recorded. */
  etag?: string;
  checksum?: string;
}

export type OutputKind = 'out' | 'metric' | 'plot';

/** The 0.x `metric: {type, xpath}` options kept by `metrics modify`. */
export interface MetricSpec {
  type?: string;
  xpath?: string;
}

export class Output {
  constructor(
    readonly stage: Stage,
    /** As written in the metafile, relative to the stage's wdir. */
    readonly path: string,
    /** Repo-relative POSIX path. */
    readonly repoPath: string,
    public recorded: RecordedState,
    readonly options: {
      cache: boolean;
      persist: boolean;
      kind: OutputKind;
      metricSpec?: MetricSpec;
      remote?: string;
      push: boolean;
    },
  ) {
    // A metafile may never name an output Sluice must not write (the repository itself, .git,
    // .dvc): such a file fails as it is read, before any command starts its work.
    assertWorkspacePath(repoPath, stage.file);
    // Checking such an output out would replace the metafile that describes it.
    if (stage.file.startsWith(`${repoPath}/`)) {
      throw new SluiceError(
        'BAD_PATH',
        `'${stage.file}': output '${repoPath}' contains the file that describes it`,
        { hint: 'move the metafile outside its output, or track a folder below it' },
      );
    }
  }

  get cache(): boolean {
    return this.options.cache;
  }

  get persist(): boolean {
    return this.options.persist;
  }

  get kind(): OutputKind {
    return this.options.kind;
  }

  get isDirRecorded(): boolean {
    return this.recorded.hash?.value.endsWith('.dir') ?? false;
  }
}

export interface ParamsSpec {
  file: string;
  /** null: the whole file is tracked. */
  keys: string[] | null;
  /** The values recorded in the lock, by key (or the whole file's mapping). */
  recorded: Record<string, unknown> | undefined;
}

export class Dependency {
  constructor(
    readonly stage: Stage,
    /** As written, relative to the stage's wdir (or a URL). */
    readonly path: string,
    /** Repo-relative POSIX path; undefined for URLs and paths outside the repo. */
    readonly repoPath: string | undefined,
    public recorded: RecordedState,
    readonly params?: ParamsSpec,
    /** `repo:` of a `sluice import` dependency. */
    readonly repo?: Record<string, unknown>,
    /** `fs_config:` of an import-url dependency: options of the source's file system. */
    readonly fsConfig?: Record<string, string>,
  ) {}

  get isParams(): boolean {
    return this.params !== undefined;
  }
}

export type StageKind = 'data' | 'single' | 'pipeline' | 'import';

/**
 * A stage: a `.dvc` file (a tracked data source, an import, or a 0.x/`run -f` single-stage
 * command) or a named stage of a `dvc.yaml`.
 */
export class Stage {
  deps: Dependency[] = [];
  outs: Output[] = [];

  constructor(
    readonly kind: StageKind,
    /** Repo-relative path of the `.dvc` file or the `dvc.yaml`. */
    readonly file: string,
    /** Repo-relative folder that the stage's paths are relative to. */
    readonly wdir: string,
    readonly props: {
      name?: string;
      cmd?: string | string[];
      frozen: boolean;
      alwaysChanged: boolean;
      /** Stage md5 recorded in a single-stage file. */
      md5?: string;
      desc?: string;
    },
  ) {}

  get name(): string | undefined {
    return this.props.name;
  }

  get cmd(): string | string[] | undefined {
    return this.props.cmd;
  }

  get frozen(): boolean {
    return this.props.frozen;
  }

  get isPipelineStage(): boolean {
    return this.kind === 'pipeline';
  }

  /** A stage with a command but neither dependencies nor outputs always runs. */
  get isCallback(): boolean {
    return this.cmd !== undefined && this.deps.length === 0 && this.outs.length === 0;
  }

  /** The address used in messages and status keys, relative to `cwdRel` (repo-relative). */
  address(cwdRel = ''): string {
    const file = relativeTo(cwdRel, this.file);
    if (this.kind !== 'pipeline') return file;
    const dir = posix.dirname(this.file);
    const here = (dir === '.' ? '' : dir) === cwdRel && posix.basename(this.file) === 'dvc.yaml';
    return here ? (this.props.name ?? '') : `${file}:${this.props.name ?? ''}`;
  }

  /** Resolves a path written in this stage (relative to its wdir) to a repo-relative path. */
  resolve(path: string): string {
    return posix.normalize(this.wdir === '' ? path : `${this.wdir}/${path}`).replace(/\/$/, '');
  }
}

export function relativeTo(cwdRel: string, repoRel: string): string {
  if (cwdRel === '') return repoRel;
  return posix.relative(cwdRel, repoRel);
}
