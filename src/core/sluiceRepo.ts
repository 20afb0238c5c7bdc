import { resolve } from 'node:path';
import type { FileError } from './9-ops/metrics/collectMetrics.js';
import { showMetrics } from './9-ops/metrics/collectMetrics.js';
import { add } from './9-ops/data/add.js';
import { init } from './9-ops/data/init.js';
import { push } from './9-ops/remote/push.js';
import { repoStatus, type StatusItem } from './9-ops/pipeline/stageStatus.js';
import { repro, type StageState } from './9-ops/pipeline/repro.js';
import type { ObjectProblem } from './9-ops/remote/transfer.js';
import { Repo } from './6-repo/repo.js';
import { StageIndex, stagesForTargets } from './7-metafiles/stageIndex.js';
import { withRepoLock } from './9-ops/withRepoLock.js';

/**
 * Told as files are hashed, stored in the cache or checked out: how many files were done since
 * the last call (usually 1) and their size in bytes.
 */
export type FileProgress = (files: number, bytes: number) => void;

/** Options of {@link openRepo}. */
export interface OpenRepoOptions {
  /**
   * Seconds to wait for the repository lock when another process (a `sluice` or `dvc` command)
   * holds it. Defaults to the CLI's wait.
   */
  waitSeconds?: number;
}

/** Options of {@link initRepo}. */
export interface InitRepoOptions extends OpenRepoOptions {
  /** Initialise without git (as `sluice init --no-scm`). */
  noScm?: boolean;
  /** Replace an existing `.dvc` folder. */
  force?: boolean;
  /** Initialise in a subfolder of a git repository (as `sluice init --subdir`). */
  subdir?: boolean;
}

/** Options every operation takes. */
export interface OperationOptions {
  /**
   * The folder relative paths (targets, `out`) are resolved from, and the folder whose pipeline
   * `repro` runs when no target is named. Defaults to the repository root.
   */
  cwd?: string;
}

/** Options of {@link SluiceRepo.add}. */
export interface AddOptions extends OperationOptions {
  /** Record the hashes in the `.dvc` files without copying the data into the cache. */
  noCommit?: boolean;
  /** Copy the single target to this path inside the repository and track the copy. */
  out?: string;
  /** Progress per tracked path: hashing, caching, done. */
  onPath?: (event: { path: string; phase: 'hashing' | 'caching' | 'done' }) => void;
  /** Progress per file hashed or cached. */
  onFile?: FileProgress;
}

/** What {@link SluiceRepo.add} wrote. */
export interface AddResult {
  /** The `.dvc` files written, relative to the repository root. */
  dvcFiles: string[];
  /** The files git should now track (the `.dvc` files and `.gitignore`s), relative to the root. */
  gitFiles: string[];
}

/** Options of {@link SluiceRepo.status}. */
export interface StatusOptions extends OperationOptions {
  /** `.dvc` files, stages (`dvc.yaml:name` or `name`) or outputs; all stages when empty. */
  targets?: string[];
  /** Progress per file hashed. */
  onFile?: FileProgress;
}

/** What {@link SluiceRepo.status} found. */
export interface StatusResult {
  /** True when no stage or data file changed. */
  clean: boolean;
  /** How many stages and `.dvc` files were checked. */
  checked: number;
  /**
   * Stage address (relative to `cwd`) → what changed, in the shape of `dvc status --json`.
   * Only stages that changed are listed.
   */
  changes: Record<string, StatusItem[]>;
}

/** Options of {@link SluiceRepo.repro}. */
export interface ReproOptions extends OperationOptions {
  /** Stages or `.dvc` files; defaults to the `dvc.yaml` (or `Dvcfile`) of `cwd`. */
  targets?: string[];
  /** Run every stage of the plan even if nothing changed. */
  force?: boolean;
  /** Run only the targets, not the stages upstream of them. */
  single?: boolean;
  /** Run the whole pipelines the targets belong to. */
  pipeline?: boolean;
  /** Run every pipeline of the repository. */
  allPipelines?: boolean;
  /** Run the targets and the stages that depend on them. */
  downstream?: boolean;
  /** Only report what would run. */
  dry?: boolean;
  /** Skip stages whose only change is missing data. */
  allowMissing?: boolean;
  /** Go on with independent stages after a stage fails. */
  keepGoing?: boolean;
  /** Run commands even when the run cache holds their results. */
  noRunCache?: boolean;
  /** Do not copy outputs into the cache. */
  noCommit?: boolean;
  /** Independent stages run at the same time (default 1). */
  jobs?: number;
  /** The lines the CLI prints ("Running stage 'train':", "> python train.py", ...). */
  onMessage?: (text: string) => void;
  /** Each stage's state as it changes. */
  onStageState?: (address: string, state: StageState) => void;
  /**
   * The output lines of the stages' commands. Without it the commands write to this process's
   * stdout and stderr.
   */
  onOutput?: (address: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** Asked before each stage that would run; false skips the stage. */
  confirm?: (address: string) => Promise<boolean>;
}

/** What {@link SluiceRepo.repro} did. */
export interface ReproResult {
  /** The stages that ran, were restored from the run cache, or were committed again. */
  reproduced: string[];
  /** The metafiles written (`dvc.lock`, `.dvc` files), relative to the root, for git. */
  changedFiles: string[];
}

/** Options of {@link SluiceRepo.push}. */
export interface PushOptions extends OperationOptions {
  /** `.dvc` files, stages or outputs whose data to send; everything when empty. */
  targets?: string[];
  /** The remote's name; defaults to each output's own remote, then `core.remote`. */
  remote?: string;
  /** Parallel transfers. */
  jobs?: number;
  /** Also send the data of the tips of all branches. */
  allBranches?: boolean;
  /** Also send the data of all tags. */
  allTags?: boolean;
  /** Also send the data of every commit. */
  allCommits?: boolean;
  /** Also send the run cache. */
  runCache?: boolean;
  /** Told how many objects will move, then as they move. */
  onProgress?: {
    total?: (files: number) => void;
    tick?: (files: number, bytes: number) => void;
  };
}

/**
 * What {@link SluiceRepo.push} did. The push does not throw when some objects could not be sent:
 * they are listed in `missing` (in neither the cache nor the remote) and `failed`.
 */
export interface PushResult {
  /** Objects sent. */
  transferred: number;
  /** Objects found neither in the local cache nor on the remote. */
  missing: ObjectProblem[];
  /** Objects whose upload failed, with the reason. */
  failed: ObjectProblem[];
  /** The remotes used, by name. */
  remotes: string[];
}

/** Options of {@link SluiceRepo.metricsShow}. */
export interface MetricsShowOptions extends OperationOptions {
  /** Metrics files (or folders holding them); defaults to the metrics the stages declare. */
  targets?: string[];
  /** Also read the metrics of the tips of all branches. */
  allBranches?: boolean;
  /** Also read the metrics of all tags. */
  allTags?: boolean;
  /** Also read the metrics of every commit. */
  allCommits?: boolean;
  /** Keep the workspace in the result even when it equals the current branch. */
  keepWorkspace?: boolean;
}

/** One metrics file of one revision: its parsed contents, or why it could not be read. */
export interface MetricsFile {
  data?: unknown;
  error?: FileError;
}

/** The metrics of one revision. */
export interface MetricsRevision {
  /** `workspace`, or the branch and tag names of a commit joined by `,`, or its hash. */
  revision: string;
  /** Metrics file path (relative to the repository root) → its contents. */
  files: Record<string, MetricsFile>;
  /** Set when the revision itself could not be read. */
  error?: FileError;
}

/**
 * An open repository. Each method takes the repository lock as the CLI does (so it waits for,
 * and excludes, `sluice` and `dvc` commands on the same repository), never prints, and throws
 * {@link SluiceError} for a user's mistake. Calls on one `SluiceRepo` run one after another.
 */
export class SluiceRepo {
  private queue: Promise<unknown> = Promise.resolve();
  /** The core's view of the repository, opened again for each call (see `serialized`). */
  private repo: Repo;

  private constructor(
    repo: Repo,
    private readonly options: OpenRepoOptions,
  ) {
    this.repo = repo;
  }

  /** Opens the repository that holds `path`: the same as {@link openRepo}. */
  static async open(path: string, options: OpenRepoOptions = {}): Promise<SluiceRepo> {
    return new SluiceRepo(await openCoreRepo(path, options), options);
  }

  /** The repository's root folder (the one holding `.dvc`). */
  get root(): string {
    return this.repo.root;
  }

  /** Tracks files or folders: hashes them, copies them into the cache, writes a `.dvc` file beside each. */
  add(targets: string | string[], options: AddOptions = {}): Promise<AddResult> {
    const list = typeof targets === 'string' ? [targets] : targets;
    return this.locked(options.onFile, async () => {
      const result = await add(this.repo, list, {
        cwd: this.cwdOf(options),
        ...(options.noCommit === undefined ? {} : { noCommit: options.noCommit }),
        ...(options.out === undefined ? {} : { out: options.out }),
        ...(options.onPath === undefined ? {} : { onProgress: options.onPath }),
      });
      return { dvcFiles: result.dvcFiles, gitFiles: result.gitFiles };
    });
  }

  /** Which stages and data files changed since they were last added, committed or reproduced. */
  status(options: StatusOptions = {}): Promise<StatusResult> {
    return this.locked(options.onFile, async () => {
      const index = StageIndex.load(this.repo);
      const cwdRel = this.repo.rel(this.cwdOf(options));
      const stages = stagesForTargets(index, options.targets ?? [], cwdRel);
      const changes = await repoStatus(this.repo, index, stages, cwdRel);
      return {
        clean: Object.keys(changes).length === 0,
        checked: stages.length,
        changes,
      };
    });
  }

  /**
   * Reruns the stages whose dependencies changed, upstream first, and records the results in
   * `dvc.lock`. Throws the failing stage's {@link SluiceError} (code `STAGE_FAILED`) when a stage
   * fails; with `keepGoing`, after the independent stages have run.
   */
  repro(options: ReproOptions = {}): Promise<ReproResult> {
    return this.locked(undefined, async () => {
      const onOutput = options.onOutput;
      const result = await repro(this.repo, {
        cwd: this.cwdOf(options),
        targets: options.targets ?? [],
        force: options.force === true,
        single: options.single === true,
        pipeline: options.pipeline === true,
        allPipelines: options.allPipelines === true,
        downstream: options.downstream === true,
        dry: options.dry === true,
        allowMissing: options.allowMissing === true,
        keepGoing: options.keepGoing === true,
        noRunCache: options.noRunCache === true,
        noCommit: options.noCommit === true,
        jobs: options.jobs ?? 1,
        captureOutput: onOutput !== undefined,
        ...(options.confirm === undefined ? {} : { confirm: options.confirm }),
        events: {
          message: (text) => options.onMessage?.(text),
          stageState: (address, state) => options.onStageState?.(address, state),
          ...(onOutput === undefined ? {} : { commandLine: onOutput }),
        },
      });
      const failure = result.failed[0];
      if (failure !== undefined) throw failure.error;
      return { reproduced: result.reproduced, changedFiles: result.changedFiles };
    });
  }

  /** Uploads the cached data of the workspace's outputs (or of `targets`) that the remote lacks. */
  push(options: PushOptions = {}): Promise<PushResult> {
    return this.locked(undefined, async () => {
      const report = await push(this.repo, {
        cwd: this.cwdOf(options),
        targets: options.targets ?? [],
        ...(options.remote === undefined ? {} : { remote: options.remote }),
        ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
        allBranches: options.allBranches === true,
        allTags: options.allTags === true,
        allCommits: options.allCommits === true,
        runCache: options.runCache === true,
        ...(options.onProgress === undefined ? {} : { progress: options.onProgress }),
      });
      return {
        transferred: report.transferred,
        missing: report.missing,
        failed: report.failed,
        remotes: report.remotes,
      };
    });
  }

  /** Reads the metrics files of the workspace (and, on request, of branches, tags or commits). */
  metricsShow(options: MetricsShowOptions = {}): Promise<MetricsRevision[]> {
    return this.serialized(async () => {
      const cwd = this.cwdOf(options);
      const result = await showMetrics(this.repo, {
        targets: (options.targets ?? []).map((t) => this.repo.rel(t, cwd)),
        allBranches: options.allBranches === true,
        allTags: options.allTags === true,
        allCommits: options.allCommits === true,
        keepWorkspace: options.keepWorkspace === true,
      });
      return result.map(([name, r]) => ({
        revision: name === '' ? 'workspace' : name,
        files: { ...r.data },
        ...(r.error === undefined ? {} : { error: r.error }),
      }));
    });
  }

  private cwdOf(options: OperationOptions): string {
    return options.cwd === undefined ? this.repo.root : resolve(options.cwd);
  }

  /** Runs `fn` after the calls before it, holding the repository lock, with file progress. */
  private locked<T>(onFile: FileProgress | undefined, fn: () => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      this.repo.onFileDone = onFile;
      try {
        return await withRepoLock(this.repo, fn);
      } finally {
        this.repo.onFileDone = undefined;
      }
    });
  }

  /**
   * Runs `fn` after the calls before it. Each call sees the repository as it is then: its
   * configuration (a remote added since), its caches, its git state are read again.
   */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const fresh = async (): Promise<T> => {
      this.repo = await openCoreRepo(this.repo.root, this.options);
      return fn();
    };
    const run = this.queue.then(fresh, fresh);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The lock records who holds it; a library caller is named after its script. */
function lockHolder(): string {
  const script = process.argv[1];
  return script === undefined ? 'sluice (library)' : `sluice (library, ${script})`;
}

/**
 * Opens the repository that holds `path` (the folder itself or any folder above it with a `.dvc`
 * folder). Throws {@link SluiceError} `NOT_A_REPO` when there is none.
 */
export function openRepo(path: string, options: OpenRepoOptions = {}): Promise<SluiceRepo> {
  return SluiceRepo.open(path, options);
}

function openCoreRepo(path: string, options: OpenRepoOptions): Promise<Repo> {
  return Repo.open(resolve(path), {
    ...(options.waitSeconds === undefined ? {} : { waitSeconds: options.waitSeconds }),
    command: lockHolder(),
  });
}

/**
 * Creates a repository in `path` (a git repository's root, unless `noScm` or `subdir`), as
 * `sluice init` does, and opens it.
 */
export async function initRepo(path: string, options: InitRepoOptions = {}): Promise<SluiceRepo> {
  const { root } = await init(path, {
    ...(options.noScm === undefined ? {} : { noScm: options.noScm }),
    ...(options.force === undefined ? {} : { force: options.force }),
    ...(options.subdir === undefined ? {} : { subdir: options.subdir }),
  });
  return openRepo(root, options);
}
