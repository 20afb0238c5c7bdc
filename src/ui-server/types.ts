/**
 * The JSON the pipeline page reads, shared by the server (src/ui-server) and the front end (web/).
 * Types only: the front end imports them with `import type`.
 */

export type NodeKind = 'stage' | 'data' | 'code' | 'metric' | 'external' | 'folder';

/** Where a file's bytes live. */
export type Location = 'git' | 'cache' | 'remote' | 'url' | 'workspace' | 'missing';

/** Status painted on the graph, in `sluice status` terms. */
export type NodeStatus =
  | 'ok'
  | 'changed'
  | 'upstream'
  | 'modified'
  | 'deleted'
  | 'new'
  | 'not in cache'
  | 'always changed'
  | 'frozen';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** Short name drawn on the node. */
  label: string;
  /** Repo-relative path (files) or the stage's file. */
  path?: string;
  /** Stage: its address (`train`, `sub/dvc.yaml:train`, `featurize.dvc`). */
  address?: string;
  /** The metafile declaring the stage or output. */
  stageFile?: string;
  cmd?: string;
  /** Plot output, params file, directory output. */
  flavor?: 'plot' | 'params' | 'dir' | 'import';
  location?: Location;
  /** Remote the object would come from when it is not in the local cache. */
  remote?: string;
  url?: string;
  hash?: string;
  hashName?: string;
  size?: number;
  nfiles?: number;
  /** Params keys a stage reads from a params file. */
  keys?: string[];
  /** Metric name → value (flattened, as `metrics show` prints them). */
  metrics?: Record<string, string | number | boolean | null>;
  metricError?: string;
  status?: NodeStatus;
  /** Why: `sluice status` items for a stage, or the change word for a file. */
  statusReason?: string[];
  frozen?: boolean;
  /** Folder nodes: the ids of the collapsed members. */
  members?: string[];
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
}

export interface GraphPayload {
  /** `workspace` or what was asked for. */
  rev: string;
  /** The commit for a revision, absent for the workspace. */
  sha?: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Status is only computed for the workspace. */
  hasStatus: boolean;
  errors: string[];
}

export interface RevisionInfo {
  sha: string;
  short: string;
  subject: string;
  date: string;
}

export interface RevisionsPayload {
  current: string | null;
  head: string | null;
  branches: string[];
  tags: string[];
  commits: RevisionInfo[];
}

/** Metrics across revisions: file → metric name → revision → value. */
export interface MetricsPayload {
  revs: string[];
  files: Record<string, Record<string, Record<string, string | number | boolean | null>>>;
  errors: string[];
}

export type LiveStageState = 'checking' | 'skipped' | 'running' | 'cached' | 'done' | 'failed';

export interface LivePayload {
  running: boolean;
  startedAt?: string;
  updatedAt?: string;
  stages: Record<string, LiveStageState>;
}

export interface DirEntryInfo {
  relpath: string;
  hash: string;
}

export interface NodeDetails {
  node: GraphNode;
  /** Downloadable from this server (a file or a file inside a directory output). */
  download?: string;
  /**
   * Only this remote has the file: the page offers to fetch it (POST api/fetch with the token).
   * A GET never transfers anything.
   */
  fetchFrom?: string;
  preview?: { type: 'text' | 'image' | 'none'; text?: string; truncated?: boolean; url?: string };
  entries?: DirEntryInfo[];
  entriesTruncated?: boolean;
  upstream: string[];
  downstream: string[];
}

/** What `sluice dag --html` inlines instead of a server. */
export interface StaticData {
  graph: GraphPayload;
  metrics?: MetricsPayload;
  generatedAt: string;
}
