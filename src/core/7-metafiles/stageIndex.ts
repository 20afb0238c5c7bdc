import { readdirSync, type Dirent } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, SluiceError } from '../1-base/errors.js';
import { loadPipelineFile, type PipelineFile } from './pipelineFile.js';
import type { Repo } from '../6-repo/repo.js';
import { NESTED_REPO_MARKER } from '../5-workspace/dvcIgnore.js';
import { isDvcFileName, loadDvcFile, type DvcFile } from './dvcFile.js';
import type { Output, Stage } from './stage.js';

export const PIPELINE_FILE = 'dvc.yaml';

/** Is `a` equal to, inside, or a parent of `b` (repo-relative POSIX paths)? */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || isInside(a, b) || isInside(b, a);
}

/** Does this entry make its folder a nested DVC repository (DVC checks that `.dvc` exists)? */
function isNestedRepoMarker(entry: Dirent): boolean {
  return entry.name === NESTED_REPO_MARKER;
}

/** Orders repo-relative file paths as a depth-first walk with sorted entries meets them. */
function walkOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; ; i++) {
    const lastA = i === pa.length - 1;
    const lastB = i === pb.length - 1;
    if (lastA !== lastB) return lastA ? -1 : 1;
    if (lastA || pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : pa[i] > pb[i] ? 1 : 0;
  }
}

/** Is `child` strictly inside `parent`? */
export function isInside(child: string, parent: string): boolean {
  return parent === '' ? child !== '' : child.startsWith(parent + '/');
}

/**
 * Every stage of the repository: `.dvc` files and `dvc.yaml` stages, found by walking the
 * workspace top-down. Folders that are outputs are not descended into, so a tracked folder of
 * 100,000 files costs nothing here.
 */
export class StageIndex {
  readonly stages: Stage[] = [];
  readonly dvcFiles = new Map<string, DvcFile>();
  readonly pipelineFiles = new Map<string, PipelineFile>();
  private readonly outputs = new Map<string, Output>();

  private constructor(readonly repo: Repo) {}

  static load(repo: Repo): StageIndex {
    const index = new StageIndex(repo);
    index.collect();
    return index;
  }

  private collect(): void {
    const queue: string[] = [''];
    while (queue.length > 0) {
      const dir = queue.shift() as string;
      let entries: Dirent[];
      const abs = this.repo.abs(dir);
      // A file added or removed here changes the folder's times: the listing's witness.
      this.repo.observer.onRead(abs);
      try {
        entries = readdirSync(abs, { withFileTypes: true });
      } catch {
        continue;
      }
      // A folder with its own `.dvc` is another project (a submodule, say): DVC skips it whole.
      if (dir !== '' && entries.some(isNestedRepoMarker)) continue;
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const subdirs: string[] = [];
      for (const entry of entries) {
        const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
        if (entry.isDirectory()) {
          if (!this.repo.ignore.isIgnored(dir, entry.name, true)) subdirs.push(rel);
          continue;
        }
        if (!entry.isFile() || this.repo.ignore.isIgnored(dir, entry.name, false)) continue;
        if (entry.name === PIPELINE_FILE) {
          this.addPipelineFile(loadPipelineFile(this.repo, rel));
        } else if (isDvcFileName(entry.name)) {
          this.addDvcFile(loadDvcFile(this.repo, rel));
        }
      }
      for (const sub of subdirs) {
        if (!this.outputs.has(sub)) queue.push(sub);
      }
    }
    // Read breadth-first (an output folder declared beside a folder is known before the walk
    // reaches it), listed as DVC's top-down walk lists them: a folder's files, then each of its
    // sub-folders in turn, whole.
    const rank = new Map<string, number>();
    [...new Set(this.stages.map((s) => s.file))]
      .sort(walkOrder)
      .forEach((file, i) => rank.set(file, i));
    this.stages.sort((a, b) => (rank.get(a.file) ?? 0) - (rank.get(b.file) ?? 0));
    this.checkOverlaps();
  }

  /** Adds a `.dvc` file, replacing an earlier load of the same file. */
  addDvcFile(file: DvcFile): void {
    const previous = this.dvcFiles.get(file.stage.file);
    if (previous !== undefined) {
      this.stages.splice(this.stages.indexOf(previous.stage), 1);
      for (const out of previous.stage.outs) {
        if (this.outputs.get(out.repoPath) === out) this.outputs.delete(out.repoPath);
      }
    }
    this.dvcFiles.set(file.stage.file, file);
    this.addStage(file.stage);
  }

  addPipelineFile(file: PipelineFile): void {
    this.pipelineFiles.set(file.path, file);
    for (const stage of file.stages) this.addStage(stage);
  }

  private addStage(stage: Stage): void {
    this.stages.push(stage);
    for (const out of stage.outs) {
      const other = this.outputs.get(out.repoPath);
      if (other !== undefined && other.stage !== stage) {
        throw new SluiceError(
          'OUTPUT_OVERLAP',
          `output '${out.repoPath}' is specified in stages: '${other.stage.address()}' and '${stage.address()}'`,
          { hint: 'each output can be produced by one stage only; remove it from one of them' },
        );
      }
      this.outputs.set(out.repoPath, out);
    }
  }

  private checkOverlaps(): void {
    const paths = [...this.outputs.keys()].sort();
    for (let i = 1; i < paths.length; i += 1) {
      const prev = paths[i - 1];
      const cur = paths[i];
      if (isInside(cur, prev)) {
        const a = this.outputs.get(prev) as Output;
        const b = this.outputs.get(cur) as Output;
        throw new SluiceError(
          'OUTPUT_OVERLAP',
          `the output paths '${prev}' ('${a.stage.address()}') and '${cur}' ('${b.stage.address()}') overlap`,
          { hint: 'an output cannot be inside another output; track the parent folder only' },
        );
      }
    }
  }

  /** The output at exactly this repo-relative path. */
  outputAt(repoPath: string): Output | undefined {
    return this.outputs.get(repoPath);
  }

  /** Outputs equal to, inside, or containing `repoPath`. */
  overlappingOutputs(repoPath: string): Output[] {
    const found: Output[] = [];
    for (const [path, out] of this.outputs) if (pathsOverlap(path, repoPath)) found.push(out);
    return found;
  }

  allOutputs(): Output[] {
    return [...this.outputs.values()];
  }

  /** The file that holds a stage, by repo-relative path. */
  stageByFile(file: string): Stage[] {
    return this.stages.filter((s) => s.file === file);
  }

  /**
   * Stages named by a target: a `.dvc` file, a `dvc.yaml` (all its stages), `file:name`, a stage
   * name in `dvc.yaml` of the cwd, or an output path (the stage producing it). `cwdRel` is the
   * repo-relative cwd.
   */
  resolveTarget(target: string, cwdRel: string): Stage[] {
    const [filePart, namePart] = splitStageAddress(target);
    const fileRel = this.repo.rel(
      filePart === '' ? PIPELINE_FILE : filePart,
      this.repo.abs(cwdRel),
    );
    if (namePart !== undefined) {
      const pipeline = this.pipelineFiles.get(fileRel);
      const stages = pipeline?.stages.filter(
        (s) => s.name === namePart || s.name?.startsWith(`${namePart}@`) === true,
      );
      if (stages === undefined || stages.length === 0) {
        throw new SluiceError(
          'STAGE_NOT_FOUND',
          `stage '${namePart}' not found inside '${fileRel}' file`,
        );
      }
      return stages;
    }
    const dvcFile = this.dvcFiles.get(fileRel);
    if (dvcFile !== undefined) return [dvcFile.stage];
    const pipeline = this.pipelineFiles.get(fileRel);
    if (pipeline !== undefined) return pipeline.stages;
    // A bare name: a stage of the dvc.yaml in the cwd.
    if (!target.includes('/')) {
      const here = this.pipelineFiles.get(
        cwdRel === '' ? PIPELINE_FILE : `${cwdRel}/${PIPELINE_FILE}`,
      );
      const stages = here?.stages.filter(
        (s) => s.name === target || s.name?.startsWith(`${target}@`) === true,
      );
      if (stages !== undefined && stages.length > 0) return stages;
    }
    const out = this.outputAt(fileRel);
    if (out !== undefined) return [out.stage];
    const inside = this.allOutputs().filter(
      (o) => isInside(o.repoPath, fileRel) || isInside(fileRel, o.repoPath),
    );
    if (inside.length > 0) return [...new Set(inside.map((o) => o.stage))];
    throw new SluiceError('STAGE_NOT_FOUND', `'${target}' does not exist`, {
      hint: 'name a .dvc file, a dvc.yaml stage, or a tracked output',
    });
  }
}

/** Splits `path/dvc.yaml:name` into its file and name; a bare path has no name. */
export function splitStageAddress(target: string): [string, string | undefined] {
  const colon = target.lastIndexOf(':');
  if (colon > 0) {
    const file = target.slice(0, colon);
    if (posix.basename(file) === PIPELINE_FILE || file.endsWith('.yaml')) {
      return [file, target.slice(colon + 1)];
    }
  }
  if (target.startsWith(':')) return ['', target.slice(1)];
  return [target, undefined];
}

/** Resolves CLI targets to stages; no targets means every stage of the repo. */
export function stagesForTargets(index: StageIndex, targets: string[], cwdRel: string): Stage[] {
  if (targets.length === 0) return index.stages;
  const stages: Stage[] = [];
  for (const target of targets) {
    for (const stage of index.resolveTarget(target, cwdRel)) {
      if (!stages.includes(stage)) stages.push(stage);
    }
  }
  return stages;
}

/** The stages of the `dvc.yaml` in the working folder (`cwdRel`, repo-relative). */
export function stagesOfPipelineHere(index: StageIndex, cwdRel: string): Stage[] {
  const file = cwdRel === '' ? PIPELINE_FILE : `${cwdRel}/${PIPELINE_FILE}`;
  const pipeline = index.pipelineFiles.get(file);
  if (pipeline === undefined) {
    throw new SluiceError('NOT_FOUND', `'${file}' does not exist`, {
      hint: 'run it in the folder that holds dvc.yaml, name a dvc.yaml, or use --all',
      exitCode: EXIT.unexpected,
    });
  }
  return pipeline.stages;
}
