import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, SluiceError } from '../../1-base/errors.js';
import { ignoreOutputs } from '../data/ignoreOutputs.js';
import {
  checkoutOutput,
  isInCache,
  saveOutput,
  dependencyState,
  unsavedFilesError,
  unsavedUnder,
} from '../data/outputState.js';
import { stageStatus, type StatusItem } from './stageStatus.js';
import { externalDependencyStatuses } from './externalDeps.js';
import { unprotectPath } from '../data/unprotect.js';
import type { Repo } from '../../6-repo/repo.js';
import { isUrl, saveDvcFile, syncRecordedState } from '../../7-metafiles/dvcFile.js';
import { readRecordedState, type EntryObject } from '../../7-metafiles/entries.js';
import { relativeTo, type RecordedState, type Stage } from '../../7-metafiles/stage.js';
import { PIPELINE_FILE, StageIndex } from '../../7-metafiles/stageIndex.js';
import { PipelineGraph } from '../../7-metafiles/graph.js';
import { OutputsInProgress } from './outputsInProgress.js';
import { PipelineFile } from '../../7-metafiles/pipelineFile.js';
import { findRunCache, isRunCacheable, saveStageRun } from './runCache.js';
import { commandLines, runShellCommand } from './runStageCommand.js';
import { StageSchedule } from './schedule.js';

export type StageState = 'checking' | 'skipped' | 'running' | 'cached' | 'done' | 'failed';

export interface ReproEvents {
  /** A message line, as DVC prints it ("Running stage 'x':", "> cmd", ...). */
  message(text: string): void;
  /** A warning, without its `WARNING: ` prefix (DVC prints warnings on stderr); else a message. */
  warning?(text: string): void;
  /** Stage states, for live views. */
  stageState?(address: string, state: StageState): void;
  /**
   * With several jobs or `captureOutput`, a stage's output lines (otherwise output goes straight
   * to the terminal).
   */
  commandLine?(address: string, stream: 'stdout' | 'stderr', line: string): void;
}

export interface ReproOptions {
  cwd: string;
  targets: string[];
  force?: boolean;
  single?: boolean;
  pipeline?: boolean;
  allPipelines?: boolean;
  downstream?: boolean;
  dry?: boolean;
  allowMissing?: boolean;
  noRunCache?: boolean;
  noCommit?: boolean;
  keepGoing?: boolean;
  jobs?: number;
  /** Hand the commands' output to `events.commandLine` even with one job (library callers). */
  captureOutput?: boolean;
  /** `repro -i`: asked before each stage that would run; false skips it. */
  confirm?: (address: string) => Promise<boolean>;
  events: ReproEvents;
}

export interface ReproResult {
  /** Addresses of the stages that ran (or were restored from the run cache, or re-committed). */
  reproduced: string[];
  /** Metafiles written (for the git hint). */
  changedFiles: string[];
  failed: Array<{ address: string; error: SluiceError }>;
}

/** The stages `repro` starts from when no target is given: dvc.yaml of the cwd, or its Dvcfile. */
function defaultTargets(index: StageIndex, cwdRel: string): Stage[] {
  const yaml = cwdRel === '' ? PIPELINE_FILE : `${cwdRel}/${PIPELINE_FILE}`;
  const dvcfile = cwdRel === '' ? 'Dvcfile' : `${cwdRel}/Dvcfile`;
  const stages = [
    ...(index.pipelineFiles.get(yaml)?.stages ?? []),
    ...(index.dvcFiles.get(dvcfile) === undefined
      ? []
      : [index.dvcFiles.get(dvcfile)?.stage as Stage]),
  ];
  if (stages.length === 0) {
    throw new SluiceError('NOT_FOUND', `'${yaml}' does not exist`, {
      hint: 'name a target (a stage or a .dvc file), or run from the folder that holds dvc.yaml',
    });
  }
  return stages;
}

/** `sluice repro`: rerun what changed, upstream first. */
export async function repro(repo: Repo, options: ReproOptions): Promise<ReproResult> {
  const index = StageIndex.load(repo);
  const cwdRel = repo.rel(options.cwd);
  const graph = new PipelineGraph(index.stages);
  let targets: Stage[];
  if (options.allPipelines === true) {
    targets = index.stages;
  } else if (options.targets.length === 0) {
    targets = defaultTargets(index, cwdRel);
  } else {
    targets = [];
    for (const target of options.targets) {
      for (const stage of index.resolveTarget(target, cwdRel))
        if (!targets.includes(stage)) targets.push(stage);
    }
  }
  if (options.pipeline === true) targets = graph.component(targets);
  const plan = graph.plan(targets, {
    ...(options.downstream === undefined ? {} : { downstream: options.downstream }),
    ...(options.single === undefined ? {} : { single: options.single }),
  });
  const runner = new ReproRunner(repo, index, graph, plan, options, cwdRel);
  return runner.run();
}

class ReproRunner {
  private readonly result: ReproResult = { reproduced: [], changedFiles: [], failed: [] };

  constructor(
    private readonly repo: Repo,
    private readonly index: StageIndex,
    private readonly graph: PipelineGraph,
    private readonly plan: Stage[],
    private readonly options: ReproOptions,
    private readonly cwdRel: string,
  ) {
    this.inProgress = new OutputsInProgress(repo);
  }

  private readonly inProgress: OutputsInProgress;
  /** How many stages were reproduced when the last stage was taken up. */
  private reproducedBefore = 0;

  private address(stage: Stage): string {
    return stage.address(this.cwdRel);
  }

  async run(): Promise<ReproResult> {
    const jobs = Math.max(1, this.options.jobs ?? 1);
    const schedule = new StageSchedule(this.plan, (s) => this.graph.upstream.get(s) ?? [], {
      jobs,
      keepGoing: this.options.keepGoing === true,
    });
    const running = new Map<Stage, Promise<void>>();
    for (;;) {
      for (const stage of schedule.next()) {
        const task = this.reproduceStage(stage, jobs > 1)
          .then(() => {
            schedule.finish(stage, true);
          })
          .catch((error: unknown) => {
            schedule.finish(stage, false);
            const err =
              error instanceof SluiceError
                ? error
                : new SluiceError(
                    'STAGE_FAILED',
                    `failed to reproduce '${this.address(stage)}': ${String(error)}`,
                    {
                      cause: error,
                    },
                  );
            this.result.failed.push({ address: this.address(stage), error: err });
            this.options.events.stageState?.(this.address(stage), 'failed');
          })
          .finally(() => {
            running.delete(stage);
          });
        running.set(stage, task);
      }
      // Nothing running and nothing startable: the rest waits on a failed stage, or a failure
      // without keep-going stopped the run.
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    return this.result;
  }

  private async reproduceStage(stage: Stage, parallel: boolean): Promise<void> {
    const address = this.address(stage);
    const events = this.options.events;
    // DVC leaves a blank line after each stage it reproduced, before the next one.
    if (this.result.reproduced.length > this.reproducedBefore) events.message('');
    this.reproducedBefore = this.result.reproduced.length;
    events.stageState?.(address, 'checking');
    if (stage.kind === 'data' || (stage.frozen && stage.kind !== 'import')) {
      if (stage.frozen) {
        const text = `stage: '${address}' is frozen. Its dependencies are not going to be reproduced.`;
        if (events.warning === undefined) events.message(`WARNING: ${text}`);
        else events.warning(text);
      }
      // A data source, or a frozen stage, "changes" when its outputs do: its outputs are then
      // checked and committed again, as DVC does (nothing is run).
      const changes =
        this.options.force === true
          ? ['forced']
          : stageStatus(this.repo, this.index, stage, {
              ...(this.options.allowMissing === true ? { allowMissing: true } : {}),
            });
      if (changes.length === 0) {
        events.message(
          stage.kind === 'data'
            ? `'${address}' didn't change, skipping`
            : `Stage '${address}' didn't change, skipping`,
        );
        events.stageState?.(address, 'skipped');
        return;
      }
      this.result.reproduced.push(address);
      this.repo.observer.onUnwitnessed(`stage ${address} committed`);
      if (this.options.dry === true) return;
      events.message(
        stage.frozen
          ? `Verifying outputs in frozen stage: '${address}'`
          : `Verifying data sources in stage: '${address}'`,
      );
      this.assertOutputsExist(stage);
      if (stage.kind === 'data') await this.commitDataSource(stage);
      else await this.saveStage(stage, true);
      events.stageState?.(address, 'done');
      return;
    }
    if (stage.kind === 'import' && !stage.frozen && stage.deps.every((d) => d.repo === undefined)) {
      await this.reproduceImportUrl(stage);
      return;
    }
    if (stage.kind === 'import') {
      events.message(`'${address}' didn't change, skipping`);
      events.stageState?.(address, 'skipped');
      return;
    }
    const changes: StatusItem[] =
      this.options.force === true
        ? []
        : stageStatus(this.repo, this.index, stage, {
            ...(this.options.allowMissing === true ? { allowMissing: true } : {}),
            external: await externalDependencyStatuses(this.repo, [stage]),
          });
    if (this.options.force !== true && changes.length === 0) {
      events.message(`Stage '${address}' didn't change, skipping`);
      events.stageState?.(address, 'skipped');
      return;
    }
    // From here the stage is asked about, run, restored or shown: no answer to replay.
    this.repo.observer.onUnwitnessed(`stage ${address} reproduced`);
    if (this.options.confirm !== undefined && !(await this.options.confirm(address))) {
      events.message(`Stage '${address}' skipped`);
      events.stageState?.(address, 'skipped');
      return;
    }
    if (this.options.force !== true) this.assertDependenciesExist(stage);
    if (this.options.dry === true) {
      if (this.options.noRunCache !== true && this.runCacheEntry(stage) !== undefined) {
        events.message(`Stage '${address}' is cached - skipping run, checking out outputs`);
      }
      events.message(`Running stage '${address}':`);
      for (const line of commandLines(stage.cmd ?? '')) events.message(`> ${line}`);
      this.result.reproduced.push(address);
      return;
    }
    await this.removeOutputs(stage);
    if (
      this.options.force !== true &&
      this.options.noRunCache !== true &&
      this.restoreFromRunCache(stage)
    ) {
      events.message(`Stage '${address}' is cached - skipping run, checking out outputs`);
      await this.saveStage(stage, false);
      this.result.reproduced.push(address);
      events.stageState?.(address, 'cached');
      return;
    }
    events.message(`Running stage '${address}':`);
    events.stageState?.(address, 'running');
    const outPaths = stage.outs.map((out) => out.repoPath);
    this.inProgress.add(outPaths);
    await this.runCommands(stage, parallel);
    await this.saveStage(stage, true);
    this.inProgress.remove(outPaths);
    this.result.reproduced.push(address);
    events.stageState?.(address, 'done');
  }

  /**
   * An import-url stage that was unfrozen follows its source, as DVC's repro does: imported
   * again when the source (or the copy in the workspace) changed.
   */
  private async reproduceImportUrl(stage: Stage): Promise<void> {
    const address = this.address(stage);
    const events = this.options.events;
    if (this.options.force !== true) {
      const changes = stageStatus(this.repo, this.index, stage, {
        external: await externalDependencyStatuses(this.repo, [stage]),
      });
      if (changes.length === 0) {
        events.message(`'${address}' didn't change, skipping`);
        events.stageState?.(address, 'skipped');
        return;
      }
    }
    if (this.options.confirm !== undefined && !(await this.options.confirm(address))) {
      events.message(`Stage '${address}' skipped`);
      events.stageState?.(address, 'skipped');
      return;
    }
    const dep = stage.deps[0];
    const out = stage.outs[0];
    if (dep !== undefined && out !== undefined) {
      const source =
        dep.repoPath !== undefined || !isRelativeLocalPath(dep.path)
          ? dep.path
          : relativeTo(this.cwdRel, stage.resolve(dep.path));
      events.message(`Importing '${source}' -> '${relativeTo(this.cwdRel, out.repoPath)}'`);
    }
    if (this.options.dry !== true) {
      events.stageState?.(address, 'running');
      const { updateImportUrl } = await import('../imports/importUrl.js');
      await updateImportUrl(this.repo, stage.file, { force: true });
      this.noteChanged(stage.file);
    }
    this.result.reproduced.push(address);
    events.stageState?.(address, 'done');
  }

  private async commitDataSource(stage: Stage): Promise<void> {
    const dvcFile = this.index.dvcFiles.get(stage.file);
    if (dvcFile === undefined) return;
    for (const out of stage.outs) out.recorded = await saveOutput(this.repo, out, { commit: true });
    syncRecordedState(dvcFile);
    dvcFile.text = await saveDvcFile(this.repo, stage.file, dvcFile.data, dvcFile.text);
    this.noteChanged(stage.file);
  }

  /**
   * Outputs are deleted before the command runs, unless persistent (those are unprotected). An
   * output edited by hand since its stage recorded it, whose content is in no cache, is not
   * deleted without `force`: the stage then fails before anything changed. What a failed or
   * killed run of the stage left is its own work, and goes.
   */
  private async removeOutputs(stage: Stage): Promise<void> {
    // A cached output that git tracks (a stage that never ran, naming a committed file) is git's:
    // DVC refuses to save it afterwards; Sluice refuses before the file is deleted.
    const unrecorded = stage.outs.filter(
      (out) =>
        out.cache && out.recorded.hash === undefined && existsSync(this.repo.abs(out.repoPath)),
    );
    if (unrecorded.length > 0 && this.repo.git !== null) {
      const tracked = await this.repo.git.isTracked(unrecorded.map((out) => out.repoPath));
      const first = unrecorded.find((out) => tracked.has(out.repoPath));
      if (first !== undefined) {
        throw new SluiceError(
          'FAILED',
          `output '${first.repoPath}' is already tracked by SCM (e.g. Git)`,
          {
            hint: `stop tracking it with git first: git rm -r --cached '${first.repoPath}' && git commit -m "stop tracking ${first.repoPath}"`,
          },
        );
      }
    }
    if (this.options.force !== true) {
      const unsaved = stage.outs
        .filter((out) => !out.persist && !this.inProgress.has(out.repoPath))
        .flatMap((out) => unsavedUnder(this.repo, out, { editedOnly: true }));
      if (unsaved.length > 0) throw unsavedFilesError(this.repo, unsaved);
    }
    for (const out of stage.outs) {
      if (out.persist) {
        unprotectPath(this.repo, out.repoPath);
        continue;
      }
      this.repo.workspace.remove(out.repoPath, { recursive: true });
    }
  }

  private async runCommands(stage: Stage, parallel: boolean): Promise<void> {
    const address = this.address(stage);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.repo.lockEnv(),
      DVC_ROOT: this.repo.root,
      DVC_STAGE: address,
    };
    const cwd = this.repo.abs(stage.wdir);
    const onLine =
      parallel || this.options.captureOutput === true
        ? (stream: 'stdout' | 'stderr', line: string): void =>
            this.options.events.commandLine?.(address, stream, line)
        : undefined;
    for (const line of commandLines(stage.cmd ?? '')) {
      this.options.events.message(`> ${line}`);
      const failure = await this.repo.withLockLent(() =>
        runShellCommand(line, cwd, env, onLine === undefined ? {} : { onLine }),
      );
      if (failure !== undefined) {
        const how =
          failure.signal !== null
            ? `killed by ${failure.signal}`
            : `exited with ${failure.exitCode ?? '?'}`;
        throw new SluiceError(
          'STAGE_FAILED',
          `failed to reproduce '${address}': failed to run: ${line}, ${how}`,
          {
            hint: 'fix the command and run `sluice repro` again; stages that finished before it are saved',
          },
        );
      }
    }
  }

  /** Records the stage's deps and outs after it ran (or was restored), and writes its metafile. */
  private async saveStage(stage: Stage, ran: boolean): Promise<void> {
    for (const out of stage.outs) {
      if (!existsSync(this.repo.abs(out.repoPath))) {
        throw new SluiceError(
          'STAGE_FAILED',
          `output '${out.path}' of stage '${this.address(stage)}' does not exist`,
          {
            hint: 'the command must create every output it declares',
          },
        );
      }
    }
    for (const dep of stage.deps) {
      if (dep.repoPath === undefined || dep.params !== undefined) continue;
      const now = dependencyState(this.repo, dep.repoPath, dep.recorded);
      if (now === undefined) {
        throw new SluiceError(
          'NOT_FOUND',
          `dependency '${dep.path}' of stage '${this.address(stage)}' does not exist`,
        );
      }
      dep.recorded = now;
    }
    const commit = this.options.noCommit !== true;
    for (const out of stage.outs) {
      if (ran || out.recorded.hash === undefined)
        out.recorded = await saveOutput(this.repo, out, { commit });
    }
    const cached = stage.outs.filter((o) => o.cache).map((o) => o.repoPath);
    for (const file of await ignoreOutputs(this.repo, cached)) this.noteChanged(file);
    if (stage.kind === 'pipeline') {
      const pipeline = this.index.pipelineFiles.get(stage.file);
      if (pipeline === undefined) return;
      const { path: lockPath, changed, created } = await pipeline.writeLock(this.repo, [stage]);
      const shown = posix.relative(this.cwdRel, lockPath);
      if (created) this.options.events.message(`Generating lock file '${shown}'`);
      if (changed) {
        this.options.events.message(`Updating lock file '${shown}'`);
        this.noteChanged(lockPath);
      }
      if (ran && commit && isRunCacheable(stage)) saveStageRun(this.repo, stage);
      return;
    }
    const dvcFile = this.index.dvcFiles.get(stage.file);
    if (dvcFile === undefined) return;
    // A stage file that never ran (just written by `run`) is written whole, as DVC does.
    const firstRun = dvcFile.data.md5 === undefined;
    syncRecordedState(dvcFile);
    dvcFile.text = await saveDvcFile(
      this.repo,
      stage.file,
      dvcFile.data,
      firstRun ? undefined : dvcFile.text,
    );
    this.noteChanged(stage.file);
  }

  /**
   * The run-cache entry for the stage's deps as they are now, when every output it records is in
   * the cache: the deps' states and the outputs' records. The stage itself is left as it was.
   */
  private runCacheEntry(
    stage: Stage,
  ): { deps: RecordedState[]; outs: Map<string, RecordedState> } | undefined {
    if (stage.kind !== 'pipeline' || !isRunCacheable(stage, false)) return undefined;
    const saved = stage.deps.map((d) => d.recorded);
    const savedParams = stage.deps.map((d) => d.params?.recorded);
    try {
      // The key is built from the deps as they are now.
      for (const dep of stage.deps) {
        if (dep.repoPath === undefined || dep.params !== undefined) continue;
        const now = dependencyState(this.repo, dep.repoPath, dep.recorded);
        if (now === undefined) return undefined;
        dep.recorded = now;
      }
      try {
        PipelineFile.recordParams(this.repo, stage);
      } catch {
        return undefined;
      }
      const found = findRunCache(this.repo, PipelineFile.lockEntryFor(this.repo, stage));
      if (!Array.isArray(found?.outs)) return undefined;
      const outs = new Map(
        (found.outs as EntryObject[]).map((o) => [String(o.path), readRecordedState(o)]),
      );
      const complete = stage.outs.every((out) => {
        const state = outs.get(out.path);
        return state?.hash !== undefined && isInCache(this.repo, state.hash);
      });
      return complete ? { deps: stage.deps.map((d) => d.recorded), outs } : undefined;
    } finally {
      stage.deps.forEach((d, i) => {
        d.recorded = saved[i] ?? {};
        if (d.params !== undefined) {
          (d.params as { recorded: Record<string, unknown> | undefined }).recorded = savedParams[i];
        }
      });
    }
  }

  /** Restores outputs from a run-cache entry for the current deps; false when there is none. */
  private restoreFromRunCache(stage: Stage): boolean {
    const found = this.runCacheEntry(stage);
    if (found === undefined) return false;
    const saved = stage.deps.map((d) => d.recorded);
    stage.deps.forEach((d, i) => (d.recorded = found.deps[i] ?? {}));
    for (const out of stage.outs) {
      out.recorded = found.outs.get(out.path) ?? {};
      const wasCached = out.options.cache;
      out.options.cache = true;
      const { failure } = checkoutOutput(this.repo, out, { force: true, relink: false });
      out.options.cache = wasCached;
      if (failure !== undefined) {
        stage.deps.forEach((d, i) => (d.recorded = saved[i] ?? {}));
        return false;
      }
    }
    return true;
  }

  /**
   * DVC hashes every file dependency before it runs a stage (to look in the run cache), and
   * stops at the first one missing, with Python's error. Sluice checks the same, before any
   * output is removed.
   */
  private assertDependenciesExist(stage: Stage): void {
    if (stage.kind !== 'pipeline' || stage.cmd === undefined) return;
    if (stage.props.alwaysChanged || stage.isCallback || stage.outs.length === 0) return;
    for (const dep of stage.deps) {
      if (dep.params !== undefined) continue;
      // DVC gives up on the run cache at a dependency that is not a local path.
      if (dep.repoPath === undefined) return;
      if (!existsSync(this.repo.abs(dep.repoPath))) {
        throw new SluiceError(
          'STAGE_FAILED',
          `failed to reproduce '${this.address(stage)}': [Errno 2] No such file or directory: '${this.repo.abs(dep.repoPath)}'`,
          {
            hint: `dependency '${dep.path}' is missing: restore it (\`sluice checkout\`, \`sluice pull\`) or create it`,
            exitCode: EXIT.unexpected,
          },
        );
      }
    }
  }

  /** A data source or frozen stage cannot make its outputs: each must exist (DVC's error). */
  private assertOutputsExist(stage: Stage): void {
    const missing = stage.outs
      .filter((out) => !existsSync(this.repo.abs(out.repoPath)))
      .map((out) => posix.relative(this.cwdRel, out.repoPath));
    if (missing.length === 0) return;
    throw new SluiceError(
      'STAGE_FAILED',
      `failed to reproduce '${this.address(stage)}': missing data '${missing.length > 1 ? 'sources' : 'source'}': ${missing.join(', ')}`,
      {
        hint: 'restore them (`sluice checkout`, `sluice pull`), or remove the stage',
        exitCode: EXIT.unexpected,
      },
    );
  }

  private noteChanged(file: string): void {
    if (!this.result.changedFiles.includes(file)) this.result.changedFiles.push(file);
  }
}

/** A local path written relative to its stage (not a URL, not absolute). */
function isRelativeLocalPath(path: string): boolean {
  return !isUrl(path) && !posix.isAbsolute(path);
}

export function stageDir(stage: Stage): string {
  return posix.dirname(stage.file);
}
