import { readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import { parseYamlFile } from '../7-metafiles/yaml/parse.js';
import { loadDvcYaml, type DvcYamlDefinition } from '../7-metafiles/dvcYaml.js';
import type { Repo } from '../6-repo/repo.js';
import { isMapping } from '../1-base/mapping.js';
import {
  isMetafilePath,
  joinRepoPath as joinRel,
  nestedRepoOf,
  outsideNestedRepos,
  sortTopDown,
} from '../7-metafiles/metafilePaths.js';
import { GitTree } from './gitTree.js';
import { readRecordedOutputs, type RecordedOutput } from './recordedOutputs.js';
import { readRecordedState, type EntryObject } from '../7-metafiles/entries.js';
import type { HashInfo, MetricSpec, OutputKind } from '../7-metafiles/stage.js';
import { StageIndex } from '../7-metafiles/stageIndex.js';

/**
 * One revision of the repository as metrics/params/plots/diff see it: the workspace or a git
 * commit. Metafiles and metric files of a commit are read through git (one persistent
 * `cat-file` process), never by checking anything out.
 */

/** An output as declared at a revision. */
export interface MetaOut {
  /** Repo-relative POSIX path. */
  path: string;
  kind: OutputKind;
  cache: boolean;
  hash?: HashInfo;
  metricSpec?: MetricSpec;
  plotProps?: Record<string, unknown>;
  /** The metafile declaring it (repo-relative). */
  file: string;
}

export interface MetaParamsDep {
  /** Repo-relative params file. */
  file: string;
  /** null or []: the whole file. */
  keys: string[] | null;
}

export interface TopPlot {
  /** Folder of the dvc.yaml (repo-relative, '' for the root). */
  dir: string;
  /** The raw entry of the top-level `plots:` list. */
  entry: unknown;
}

export interface RevisionMeta {
  /** Every output, in the order DVC's index lists them (metafiles top-down, declaration order). */
  outs: MetaOut[];
  /** Top-level `metrics:` of every dvc.yaml, repo-relative. */
  topMetrics: string[];
  topParams: string[];
  paramsDeps: MetaParamsDep[];
  topPlots: TopPlot[];
}

const definitionCache = new Map<
  string,
  { definition: DvcYamlDefinition; reads: Map<string, string | undefined> }
>();

/** What a revision can be asked for. */
export abstract class Revision {
  private metaPromise: Promise<RevisionMeta> | undefined;

  constructor(
    readonly repo: Repo,
    /** The display name: `workspace`, `main,v1`, a sha, or ``. */
    readonly name: string,
  ) {}

  abstract get isWorkspace(): boolean;
  /** Contents of a file tracked by git (or present in the workspace); null when absent. */
  abstract readFile(path: string): Promise<Buffer | null>;
  /** Files below a folder (repo-relative), or null when `path` is not a folder. */
  abstract filesUnder(path: string): Promise<string[] | null>;
  /** The metafiles (`dvc.yaml`, `.dvc` files), top-down as DVC walks them. */
  abstract metafiles(): Promise<string[]>;
  /** The files git tracks at this revision (in the workspace: git's index). */
  abstract trackedFiles(): Promise<Set<string>>;

  /** The outputs whose hashes this revision's metafiles record (see readRecordedOutputs). */
  recordedOutputs(): Promise<RecordedOutput[]> {
    return readRecordedOutputs(this, this.name);
  }

  meta(): Promise<RevisionMeta> {
    this.metaPromise ??= this.loadMeta();
    return this.metaPromise;
  }

  private async loadMeta(): Promise<RevisionMeta> {
    const files = await this.metafiles();
    const texts = new Map<string, string | undefined>();
    const fetch = async (paths: string[]): Promise<void> => {
      const todo = paths.filter((p) => !texts.has(p));
      const blobs = await Promise.all(todo.map((p) => this.readFile(p)));
      todo.forEach((p, i) => texts.set(p, blobs[i]?.toString('utf8')));
    };
    const lockOf = (p: string): string => p.replace(/\.yaml$/, '.lock');
    const pipelines = files.filter((f) => posix.basename(f) === 'dvc.yaml');
    await fetch([...files, ...pipelines.map(lockOf)]);
    const meta: RevisionMeta = {
      outs: [],
      topMetrics: [],
      topParams: [],
      paramsDeps: [],
      topPlots: [],
    };
    for (const file of files) {
      const text = texts.get(file);
      if (text === undefined) continue;
      const dir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
      if (posix.basename(file) === 'dvc.yaml') {
        await this.loadPipeline(file, dir, text, texts.get(lockOf(file)), meta, fetch, texts);
      } else {
        this.loadDvcFile(file, dir, text, meta);
      }
    }
    return meta;
  }

  private async loadPipeline(
    file: string,
    dir: string,
    text: string,
    lockText: string | undefined,
    meta: RevisionMeta,
    fetch: (paths: string[]) => Promise<void>,
    texts: Map<string, string | undefined>,
  ): Promise<void> {
    // Most commits share their dvc.yaml: reuse a definition when the files it read are unchanged.
    const cacheKey = `${file}\0${text}`;
    const cached = definitionCache.get(cacheKey);
    let definition: DvcYamlDefinition | undefined;
    if (cached !== undefined) {
      await fetch([...cached.reads.keys()]);
      if ([...cached.reads].every(([p, t]) => texts.get(p) === t)) definition = cached.definition;
    }
    // vars/params files are read synchronously by the loader: fetch what it asked for, retry.
    for (let attempt = 0; definition === undefined; attempt++) {
      const wanted: string[] = [];
      const reads = new Map<string, string | undefined>();
      const readFile = (rel: string): string | undefined => {
        const p = joinRel(dir, rel);
        if (!texts.has(p)) wanted.push(p);
        reads.set(p, texts.get(p));
        return texts.get(p);
      };
      try {
        definition = loadDvcYaml(text, { file, readFile });
        definitionCache.set(cacheKey, { definition, reads });
      } catch (error) {
        if (wanted.length === 0 || attempt > 5) throw error;
        await fetch(wanted);
      }
    }
    const lockOuts = new Map<string, Map<string, EntryObject>>();
    if (lockText !== undefined) {
      const lockFile = file.replace(/\.yaml$/, '.lock');
      const data = parseYamlFile(lockText, lockFile).data;
      if (isMapping(data)) {
        const stages = 'schema' in data && isMapping(data.stages) ? data.stages : data;
        for (const [name, entry] of Object.entries(stages)) {
          if (!isMapping(entry) || !Array.isArray(entry.outs)) continue;
          const byPath = new Map<string, EntryObject>();
          for (const o of entry.outs) {
            if (isMapping(o) && typeof o.path === 'string') byPath.set(o.path, o);
          }
          lockOuts.set(name, byPath);
        }
      }
    }
    for (const stage of definition.stages) {
      const wdir = joinRel(dir, stage.wdir);
      for (const p of stage.params) {
        meta.paramsDeps.push({ file: joinRel(wdir, p.file), keys: p.keys });
      }
      for (const out of stage.outs) {
        const entry = lockOuts.get(stage.name)?.get(out.path);
        const hash = entry === undefined ? undefined : readRecordedState(entry).hash;
        meta.outs.push({
          path: joinRel(wdir, out.path),
          kind: out.kind,
          cache: out.cache,
          ...(hash === undefined ? {} : { hash }),
          ...(out.plotProps === undefined ? {} : { plotProps: out.plotProps }),
          file,
        });
      }
    }
    for (const m of definition.metrics) meta.topMetrics.push(joinRel(dir, m));
    for (const p of definition.params) meta.topParams.push(joinRel(dir, p));
    for (const entry of definition.plots) meta.topPlots.push({ dir, entry });
  }

  private loadDvcFile(file: string, dir: string, text: string, meta: RevisionMeta): void {
    const data = parseYamlFile(text, file).data;
    if (!isMapping(data)) return;
    const wdir = typeof data.wdir === 'string' ? joinRel(dir, data.wdir) : dir;
    if (!Array.isArray(data.outs)) return;
    for (const entry of data.outs) {
      if (!isMapping(entry) || typeof entry.path !== 'string') continue;
      const metric = entry.metric;
      const spec: MetricSpec | undefined = isMapping(metric)
        ? {
            ...(typeof metric.type === 'string' ? { type: metric.type } : {}),
            ...(typeof metric.xpath === 'string' ? { xpath: metric.xpath } : {}),
          }
        : metric === true
          ? {}
          : undefined;
      const hash = readRecordedState(entry).hash;
      meta.outs.push({
        path: joinRel(wdir, entry.path),
        kind: spec !== undefined ? 'metric' : entry.plot === true ? 'plot' : 'out',
        cache: entry.cache !== false,
        ...(hash === undefined ? {} : { hash }),
        ...(spec === undefined ? {} : { metricSpec: spec }),
        file,
      });
    }
  }
}

/** The workspace: metafiles found as the stage index finds them, files read from disk. */
export class WorkspaceRevision extends Revision {
  get isWorkspace(): boolean {
    return true;
  }

  metafiles(): Promise<string[]> {
    const index = StageIndex.load(this.repo);
    return Promise.resolve(sortTopDown([...index.pipelineFiles.keys(), ...index.dvcFiles.keys()]));
  }

  readFile(path: string): Promise<Buffer | null> {
    try {
      return Promise.resolve(readFileSync(this.repo.abs(path)));
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
        return Promise.resolve(null);
      throw error;
    }
  }

  async trackedFiles(): Promise<Set<string>> {
    const git = this.repo.git;
    const files = new Set<string>();
    if (git === null) return files;
    const prefix = GitTree.prefixOf(git, this.repo.root);
    const { stdout } = await git.run(['ls-files', '-z', '--cached', '--full-name']);
    for (const raw of stdout.toString('utf8').split('\0')) {
      if (raw === '') continue;
      if (prefix === '') files.add(raw);
      else if (raw.startsWith(`${prefix}/`)) files.add(raw.slice(prefix.length + 1));
    }
    return files;
  }

  filesUnder(path: string): Promise<string[] | null> {
    const abs = this.repo.abs(path);
    try {
      if (!statSync(abs).isDirectory()) return Promise.resolve(null);
    } catch {
      return Promise.resolve(null);
    }
    const found: string[] = [];
    const walk = (rel: string): void => {
      for (const entry of readdirSync(this.repo.abs(rel), { withFileTypes: true })) {
        const child = `${rel}/${entry.name}`;
        if (entry.isDirectory()) walk(child);
        else if (entry.isFile()) found.push(child);
      }
    };
    walk(path);
    return Promise.resolve(found.sort());
  }
}

/** A git commit, read through its GitTree (one ls-tree, one cat-file process). */
export class CommitRevision extends Revision {
  private readonly tree: GitTree | undefined;

  constructor(
    repo: Repo,
    name: string,
    readonly sha: string,
    /** Metafile paths that may exist at this commit (shared by many revisions). */
    private readonly candidates?: Promise<string[]>,
  ) {
    super(repo, name);
    const git = repo.git;
    this.tree = git === null ? undefined : new GitTree(git, sha, GitTree.prefixOf(git, repo.root));
  }

  get isWorkspace(): boolean {
    return false;
  }

  async metafiles(): Promise<string[]> {
    if (this.candidates !== undefined) {
      // Probing known paths through cat-file beats one ls-tree process per commit.
      const paths = await this.candidates;
      const blobs = await Promise.all(paths.map((p) => this.readFile(p)));
      const present = paths.filter((_, i) => blobs[i] !== null);
      return sortTopDown(outsideNestedRepos(present.filter(isMetafilePath), present));
    }
    return this.tree === undefined ? [] : this.tree.metafiles();
  }

  readFile(path: string): Promise<Buffer | null> {
    return this.tree === undefined ? Promise.resolve(null) : this.tree.readFile(path);
  }

  filesUnder(path: string): Promise<string[] | null> {
    return this.tree === undefined ? Promise.resolve(null) : this.tree.filesUnder(path);
  }

  async trackedFiles(): Promise<Set<string>> {
    if (this.tree === undefined) return new Set();
    return new Set((await this.tree.files()).map((e) => e.path));
  }
}

export interface RevisionScopeOptions {
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  revs?: string[];
}

/**
 * The revisions DVC's brancher yields: only the workspace (named ``) without options;
 * otherwise the workspace first, then each commit named by its branch/tag names joined by `,`.
 */
export async function revisionsInScope(
  repo: Repo,
  opts: RevisionScopeOptions,
): Promise<Revision[]> {
  const any =
    opts.allBranches === true ||
    opts.allTags === true ||
    opts.allCommits === true ||
    (opts.revs ?? []).length > 0;
  if (!any) return [new WorkspaceRevision(repo, '')];
  const git = repo.git;
  const found: Revision[] = [new WorkspaceRevision(repo, 'workspace')];
  if (git === null) return found;
  const revs = (opts.revs ?? []).filter((r) => r !== 'workspace');
  const grouped =
    opts.allCommits === true && revs.length === 0
      ? new Map((await git.listCommits()).map((sha) => [sha, [sha]]))
      : await git.iterRevs({
          revs,
          allBranches: opts.allBranches === true,
          allTags: opts.allTags === true,
          allCommits: opts.allCommits === true,
        });
  const candidates = grouped.size > 1 ? metafileCandidates(repo, [...grouped.keys()]) : undefined;
  for (const [sha, names] of grouped) {
    found.push(new CommitRevision(repo, names.join(','), sha, candidates));
  }
  return found;
}

/**
 * Every metafile path that any of these commits' histories ever touched, and the files that
 * mark nested DVC repositories, from one `git log`: each commit then probes just these paths.
 */
async function metafileCandidates(repo: Repo, shas: string[]): Promise<string[]> {
  const git = repo.git;
  if (git === null) return [];
  const prefix = GitTree.prefixOf(git, repo.root);
  const { stdout } = await git.run(
    [
      'log',
      '--format=',
      '--name-only',
      '--no-renames',
      '-m',
      '-z',
      '--stdin',
      '--',
      ':(glob)**/*.dvc',
      ':(glob)**/dvc.yaml',
      ':(glob)**/Dvcfile',
      // what `dvc init` commits: tells a nested DVC repository, whose metafiles are not ours
      ':(glob)**/.dvc/config',
      ':(glob)**/.dvc/.gitignore',
    ],
    { input: shas.join('\n') + '\n' },
  );
  const paths = new Set<string>();
  for (const raw of stdout.toString('utf8').split(/[\0\n]/)) {
    if (raw === '') continue;
    const rel =
      prefix === '' ? raw : raw.startsWith(`${prefix}/`) ? raw.slice(prefix.length + 1) : null;
    if (rel !== null && (isMetafilePath(rel) || nestedRepoOf(rel) !== undefined)) paths.add(rel);
  }
  return [...paths];
}

/** One revision by name (`workspace` or anything git resolves). */
export async function revisionNamed(repo: Repo, name: string): Promise<Revision> {
  if (name === 'workspace') return new WorkspaceRevision(repo, name);
  const git = repo.git;
  if (git === null) {
    throw new SluiceError('SCM', 'comparing revisions needs a git repository', {
      hint: 'run `git init` and commit the project first',
    });
  }
  return new CommitRevision(repo, name, await git.resolveRev(name));
}
