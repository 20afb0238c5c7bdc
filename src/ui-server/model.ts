import { posix } from 'node:path';
import { loadDvcYaml, type StageDefinition } from '../core/7-metafiles/dvcYaml.js';
import { parseYamlFile } from '../core/7-metafiles/yaml/parse.js';
import { collectMetrics } from '../core/9-ops/metrics/collectMetrics.js';
import { flattenMetrics } from '../core/7-metafiles/metricsFile.js';
import { CommitRevision, revisionNamed, type Revision } from '../core/8-revisions/revision.js';
import { isMapping } from '../core/1-base/mapping.js';
import { folderOf as dirOf, joinRepoPath as joinRel } from '../core/7-metafiles/metafilePaths.js';
import type { Repo } from '../core/6-repo/repo.js';
import { isUrl } from '../core/7-metafiles/dvcFile.js';
import { readRecordedState, type EntryObject } from '../core/7-metafiles/entries.js';
import type { RecordedState } from '../core/7-metafiles/stage.js';
import type { GraphEdge, GraphNode, GraphPayload, Location, NodeStatus } from './types.js';

/**
 * The pipeline page's graph: a bipartite file ↔ stage graph (DAGsHub's model rather than
 * `dvc dag`'s stage graph), read from the metafiles of the workspace or of a git revision,
 * never by checking anything out.
 */

/** A stage as the graph sees it, from a dvc.yaml + dvc.lock or a `.dvc` file. */
interface RawStage {
  id: string;
  address: string;
  file: string;
  cmd?: string;
  frozen: boolean;
  /** Repo-relative dependency paths or URLs, with what the lock recorded. */
  deps: Array<{ path: string; url: boolean; recorded: RecordedState }>;
  params: Array<{ file: string; keys: string[] | null }>;
  outs: Array<{
    path: string;
    kind: 'out' | 'metric' | 'plot';
    cache: boolean;
    recorded: RecordedState;
    remote?: string;
  }>;
  /** A `.dvc` file with no command: a tracked data source or an import. */
  dataOnly: boolean;
}

function cmdText(cmd: unknown): string | undefined {
  if (typeof cmd === 'string') return cmd;
  if (Array.isArray(cmd)) return cmd.filter((c) => typeof c === 'string').join('\n');
  return undefined;
}

function lockEntries(list: unknown): Map<string, EntryObject> {
  const byPath = new Map<string, EntryObject>();
  if (!Array.isArray(list)) return byPath;
  for (const item of list) {
    if (isMapping(item) && typeof item.path === 'string') byPath.set(item.path, item);
  }
  return byPath;
}

async function readStages(source: Revision, errors: string[]): Promise<RawStage[]> {
  const files = await source.metafiles();
  const stages: RawStage[] = [];
  const texts = new Map<string, string | undefined>();
  const load = async (path: string): Promise<string | undefined> => {
    if (!texts.has(path)) texts.set(path, (await source.readFile(path))?.toString('utf8'));
    return texts.get(path);
  };
  for (const file of files) {
    const text = await load(file);
    if (text === undefined) continue;
    const dir = dirOf(file);
    try {
      if (posix.basename(file) === 'dvc.yaml') {
        stages.push(...(await pipelineStages(file, dir, text, load)));
      } else {
        const stage = dvcFileStage(file, dir, text);
        if (stage !== undefined) stages.push(stage);
      }
    } catch (error) {
      errors.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return stages;
}

async function pipelineStages(
  file: string,
  dir: string,
  text: string,
  load: (path: string) => Promise<string | undefined>,
): Promise<RawStage[]> {
  const cache = new Map<string, string | undefined>();
  let definition;
  // dvc.yaml may read params/vars files: fetch what it asks for, then parse again.
  for (let attempt = 0; ; attempt++) {
    const wanted: string[] = [];
    const readFile = (rel: string): string | undefined => {
      const p = joinRel(dir, rel);
      if (!cache.has(p)) wanted.push(p);
      return cache.get(p);
    };
    try {
      definition = loadDvcYaml(text, { file, readFile });
      break;
    } catch (error) {
      if (wanted.length === 0 || attempt > 5) throw error;
      for (const p of wanted) cache.set(p, await load(p));
    }
  }
  const lockText = await load(file.replace(/\.yaml$/, '.lock'));
  const lock = new Map<string, EntryObject>();
  if (lockText !== undefined) {
    const data = parseYamlFile(lockText, file.replace(/\.yaml$/, '.lock')).data;
    if (isMapping(data)) {
      const entries = 'schema' in data && isMapping(data.stages) ? data.stages : data;
      for (const [name, entry] of Object.entries(entries))
        if (isMapping(entry)) lock.set(name, entry);
    }
  }
  return definition.stages.map((def: StageDefinition) => {
    const wdir = joinRel(dir, def.wdir);
    const entry = lock.get(def.name);
    const lockDeps = lockEntries(entry?.deps);
    const lockOuts = lockEntries(entry?.outs);
    const address = file === 'dvc.yaml' ? def.name : `${file}:${def.name}`;
    const stage: RawStage = {
      id: `stage:${address}`,
      address,
      file,
      frozen: def.frozen,
      deps: def.deps.map((d) => {
        const recorded = lockDeps.get(d);
        return {
          path: isUrl(d) ? d : joinRel(wdir, d),
          url: isUrl(d),
          recorded: recorded === undefined ? {} : readRecordedState(recorded),
        };
      }),
      params: def.params.map((p) => ({ file: joinRel(wdir, p.file), keys: p.keys })),
      outs: def.outs.map((o) => {
        const recorded = lockOuts.get(o.path);
        return {
          path: joinRel(wdir, o.path),
          kind: o.kind,
          cache: o.cache,
          recorded: recorded === undefined ? {} : readRecordedState(recorded),
          ...(o.remote === undefined ? {} : { remote: o.remote }),
        };
      }),
      dataOnly: false,
    };
    const cmd = cmdText(def.cmd);
    if (cmd !== undefined) stage.cmd = cmd;
    return stage;
  });
}

function dvcFileStage(file: string, dir: string, text: string): RawStage | undefined {
  const data = parseYamlFile(text, file).data;
  if (!isMapping(data)) return undefined;
  const wdir = typeof data.wdir === 'string' ? joinRel(dir, data.wdir) : dir;
  const cmd = cmdText(data.cmd);
  const deps = Array.isArray(data.deps) ? data.deps.filter(isMapping) : [];
  const outs = Array.isArray(data.outs) ? data.outs.filter(isMapping) : [];
  const stage: RawStage = {
    id: `stage:${file}`,
    address: file,
    file,
    frozen: data.frozen === true,
    deps: deps.flatMap((d) =>
      typeof d.path === 'string'
        ? [
            {
              path: isUrl(d.path) ? d.path : joinRel(wdir, d.path),
              url: isUrl(d.path),
              recorded: readRecordedState(d),
            },
          ]
        : [],
    ),
    params: [],
    outs: outs.flatMap((o) => {
      if (typeof o.path !== 'string') return [];
      const kind: 'out' | 'metric' | 'plot' =
        o.metric !== undefined && o.metric !== false ? 'metric' : o.plot === true ? 'plot' : 'out';
      return [
        {
          path: joinRel(wdir, o.path),
          kind,
          cache: o.cache !== false,
          recorded: readRecordedState(o),
          ...(typeof o.remote === 'string' ? { remote: o.remote } : {}),
        },
      ];
    }),
    dataOnly: cmd === undefined,
  };
  if (cmd !== undefined) stage.cmd = cmd;
  return stage;
}

/** A remote URL without user name or password, for display. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

function defaultRemote(repo: Repo): string | undefined {
  const name = repo.config.get('core', 'remote');
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export interface BuildOptions {
  /** Skip metric values (the 1,000-node synthetic graphs, and speed). */
  metrics?: boolean;
}

/** The graph of the workspace (with status) or of a git revision. */
export async function buildGraph(
  repo: Repo,
  rev = 'workspace',
  options: BuildOptions = {},
): Promise<GraphPayload> {
  const source = await revisionNamed(repo, rev);
  const errors: string[] = [];
  const stages = await readStages(source, errors);
  const gitFiles = await source.trackedFiles();
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const addEdge = (source: string, target: string): void => {
    const id = `${source}->${target}`;
    if (source !== target && !edges.has(id)) edges.set(id, { id, source, target });
  };
  const remote = defaultRemote(repo);

  // Outputs first: a dependency inside an output points at that output's node.
  const outputs = new Map<string, string>();
  for (const stage of stages) {
    for (const out of stage.outs) {
      const id = `file:${out.path}`;
      outputs.set(out.path, id);
      const hash = out.recorded.hash;
      let location: Location;
      if (!out.cache) location = gitFiles.has(out.path) ? 'git' : 'workspace';
      else if (hash !== undefined && repo.odb.exists(hash.value, hash.name)) location = 'cache';
      else if (hash !== undefined && (out.remote ?? remote) !== undefined) location = 'remote';
      else location = 'missing';
      const node: GraphNode = {
        id,
        kind: out.kind === 'metric' ? 'metric' : 'data',
        label: posix.basename(out.path),
        path: out.path,
        stageFile: stage.file,
        location,
      };
      if (out.kind === 'plot') node.flavor = 'plot';
      if (hash !== undefined) {
        node.hash = hash.value;
        node.hashName = hash.name;
        if (hash.value.endsWith('.dir')) node.flavor = 'dir';
      }
      if (out.recorded.size !== undefined) node.size = out.recorded.size;
      if (out.recorded.nfiles !== undefined) node.nfiles = out.recorded.nfiles;
      if (location === 'remote') node.remote = out.remote ?? remote;
      nodes.set(id, node);
    }
  }
  // Walk up the folders: a dependency inside a directory output belongs to it.
  const outputFor = (path: string): string | undefined => {
    for (let p = path; p !== ''; p = dirOf(p)) {
      const id = outputs.get(p);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const gitDirs = new Set<string>();
  for (const f of gitFiles)
    for (let d = dirOf(f); d !== '' && !gitDirs.has(d); d = dirOf(d)) gitDirs.add(d);
  const fileNode = (path: string, recorded: RecordedState): string => {
    const produced = outputFor(path);
    if (produced !== undefined) return produced;
    const id = `file:${path}`;
    if (!nodes.has(id)) {
      const tracked = gitFiles.has(path) || gitDirs.has(path);
      const node: GraphNode = {
        id,
        kind: tracked ? 'code' : 'data',
        label: posix.basename(path),
        path,
        location: tracked ? 'git' : 'workspace',
      };
      if (recorded.hash !== undefined) {
        node.hash = recorded.hash.value;
        node.hashName = recorded.hash.name;
      }
      if (recorded.size !== undefined) node.size = recorded.size;
      nodes.set(id, node);
    }
    return id;
  };

  for (const stage of stages) {
    if (stage.dataOnly) {
      // A tracked data source draws as its output; an import-url also gets its origin.
      for (const dep of stage.deps) {
        const origin = dep.url ? `url:${dep.path}` : undefined;
        if (origin !== undefined && !nodes.has(origin)) {
          nodes.set(origin, {
            id: origin,
            kind: 'external',
            label: dep.path.replace(/^[a-z0-9+.-]+:\/\//i, ''),
            url: safeUrl(dep.path),
            location: 'url',
            stageFile: stage.file,
          });
        }
        const from = origin ?? fileNode(dep.path, dep.recorded);
        for (const out of stage.outs) {
          addEdge(from, `file:${out.path}`);
          const node = nodes.get(`file:${out.path}`);
          if (node !== undefined) node.flavor = 'import';
        }
      }
      continue;
    }
    const node: GraphNode = {
      id: stage.id,
      kind: 'stage',
      label: stage.address.includes(':')
        ? stage.address.slice(stage.address.lastIndexOf(':') + 1)
        : stage.address,
      address: stage.address,
      stageFile: stage.file,
      path: stage.file,
    };
    if (stage.cmd !== undefined) node.cmd = stage.cmd;
    if (stage.frozen) node.frozen = true;
    nodes.set(stage.id, node);
    for (const dep of stage.deps) {
      if (dep.url) {
        const origin = `url:${dep.path}`;
        if (!nodes.has(origin)) {
          nodes.set(origin, {
            id: origin,
            kind: 'external',
            label: dep.path.replace(/^[a-z0-9+.-]+:\/\//i, ''),
            url: safeUrl(dep.path),
            location: 'url',
          });
        }
        addEdge(origin, stage.id);
      } else {
        addEdge(fileNode(dep.path, dep.recorded), stage.id);
      }
    }
    for (const p of stage.params) {
      const id = fileNode(p.file, {});
      const params = nodes.get(id);
      if (params !== undefined && params.kind !== 'data' && params.kind !== 'metric') {
        params.flavor = 'params';
        const keys = new Set([...(params.keys ?? []), ...(p.keys ?? [])]);
        params.keys = [...keys].sort();
      }
      addEdge(id, stage.id);
    }
    for (const out of stage.outs) addEdge(stage.id, `file:${out.path}`);
  }

  const payload: GraphPayload = {
    rev: source.name,
    nodes: [...nodes.values()],
    edges: [...edges.values()],
    hasStatus: source.isWorkspace,
    errors,
  };
  if (source instanceof CommitRevision) payload.sha = source.sha;
  if (options.metrics !== false) await addMetricValues(source, payload);
  if (source.isWorkspace) await addStatus(repo, payload, errors);
  return payload;
}

/** A metric value as JSON can carry it; PyFloat and friends become numbers. */
export function scalar(value: unknown): string | number | boolean | null {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return value;
  }
  const n = Number(value);
  if (Number.isFinite(n)) return n;
  return JSON.stringify(value) ?? null;
}

async function addMetricValues(source: Revision, payload: GraphPayload): Promise<void> {
  const metricNodes = payload.nodes.filter((n) => n.kind === 'metric');
  if (metricNodes.length === 0) return;
  try {
    const result = await collectMetrics(source, {});
    for (const node of metricNodes) {
      const file = node.path === undefined ? undefined : result.data?.[node.path];
      if (file?.error !== undefined) node.metricError = file.error.msg;
      if (file?.data === undefined) continue;
      const flat = flattenMetrics(file.data);
      node.metrics = Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, scalar(v)]));
    }
  } catch (error) {
    payload.errors.push(`metrics: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const CHANGE_WORDS = new Set(['modified', 'deleted', 'new', 'not in cache']);

/** Paints `sluice status` onto the nodes, and "upstream changed" below changed stages. */
async function addStatus(repo: Repo, payload: GraphPayload, errors: string[]): Promise<void> {
  const { StageIndex } = await import('../core/7-metafiles/stageIndex.js');
  const { stageStatus } = await import('../core/9-ops/pipeline/stageStatus.js');
  let index;
  try {
    index = StageIndex.load(repo);
  } catch (error) {
    errors.push(`status: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const byId = new Map(payload.nodes.map((n) => [n.id, n]));
  const changedStages = new Set<string>();
  for (const stage of index.stages) {
    let items;
    try {
      items = stageStatus(repo, index, stage);
    } catch (error) {
      errors.push(
        `status of ${stage.address()}: ${error instanceof Error ? error.message : String(error)}`,
      );
      continue;
    }
    const stageNode = byId.get(`stage:${stage.address()}`);
    const reasons: string[] = [];
    for (const item of items) {
      if (typeof item === 'string') {
        reasons.push(item);
        continue;
      }
      if ('changed outs' in item) {
        for (const [path, word] of Object.entries(item['changed outs'])) {
          reasons.push(`${path}: ${word}`);
          const out = byId.get(`file:${stage.resolve(path)}`) ?? byId.get(`file:${path}`);
          if (out !== undefined && CHANGE_WORDS.has(word)) {
            out.status = word as NodeStatus;
            out.statusReason = [word];
          }
        }
      }
      if ('changed deps' in item) {
        for (const [path, word] of Object.entries(item['changed deps'])) {
          const text = typeof word === 'string' ? word : JSON.stringify(word);
          reasons.push(`${path}: ${text}`);
          const dep = byId.get(`file:${stage.resolve(path)}`) ?? byId.get(`file:${path}`);
          if (
            dep !== undefined &&
            dep.status === undefined &&
            typeof word === 'string' &&
            CHANGE_WORDS.has(word)
          ) {
            dep.status = word as NodeStatus;
            dep.statusReason = [word];
          }
        }
      }
    }
    if (stageNode !== undefined) {
      if (stage.frozen) stageNode.status = 'frozen';
      else if (items.length === 0) stageNode.status = 'ok';
      else {
        stageNode.status =
          items.includes('always changed') && items.length === 1 ? 'always changed' : 'changed';
        changedStages.add(stageNode.id);
      }
      if (reasons.length > 0) stageNode.statusReason = reasons;
    }
  }
  // Stages below a changed one will re-run too (DVC's "upstream changed").
  const down = new Map<string, string[]>();
  for (const e of payload.edges) down.set(e.source, [...(down.get(e.source) ?? []), e.target]);
  const queue = [...changedStages];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const next of down.get(id) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
      const node = byId.get(next);
      if (node?.kind === 'stage' && node.status === 'ok') node.status = 'upstream';
    }
  }
  for (const node of payload.nodes) {
    if (
      node.kind !== 'stage' &&
      node.status === undefined &&
      (node.kind === 'data' || node.kind === 'metric')
    ) {
      node.status = node.location === 'missing' ? 'not in cache' : 'ok';
    }
  }
}
