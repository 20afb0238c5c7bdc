import type {
  GraphEdge,
  GraphNode,
  GraphPayload,
  Location,
  NodeKind,
} from '../../src/ui-server/types.ts';

export const KIND_COLORS: Record<
  NodeKind,
  { fill: string; border: string; text: string; label: string }
> = {
  data: { fill: '#dbeafe', border: '#2563eb', text: '#1e3a8a', label: 'Data file (cache)' },
  stage: { fill: '#e5e7eb', border: '#6b7280', text: '#111827', label: 'Stage' },
  code: { fill: '#dcfce7', border: '#16a34a', text: '#14532d', label: 'Code / git file' },
  metric: { fill: '#ede9fe', border: '#7c3aed', text: '#4c1d95', label: 'Metric file' },
  external: { fill: '#ffffff', border: '#0f766e', text: '#134e4a', label: 'External source' },
  folder: { fill: '#f1f5f9', border: '#475569', text: '#0f172a', label: 'Folder (collapsed)' },
};

export const KIND_ICON: Record<NodeKind, string> = {
  data: 'database',
  stage: 'terminal',
  code: 'code',
  metric: 'gauge',
  external: 'globe',
  folder: 'folder',
};

export const LOCATION_ICON: Record<Location, string> = {
  git: 'git',
  cache: 'cache',
  remote: 'cloud',
  url: 'link',
  workspace: 'workspace',
  missing: 'missing',
};

export const LOCATION_TEXT: Record<Location, string> = {
  git: 'in git',
  cache: 'in the local cache',
  remote: 'on a remote (not in the local cache)',
  url: 'at a URL',
  workspace: 'in the workspace only',
  missing: 'missing (not in the cache, no remote)',
};

export const NODE_WIDTH = 220;

export function nodeIcon(node: GraphNode): string {
  if (node.flavor === 'params') return 'params';
  if (node.flavor === 'plot') return 'chart';
  if (node.flavor === 'dir') return 'folder';
  return KIND_ICON[node.kind];
}

export function metricLines(node: GraphNode): Array<[string, string]> {
  const entries = Object.entries(node.metrics ?? {});
  return entries.slice(0, 4).map(([k, v]) => [k === '' ? 'value' : k, formatValue(v)]);
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1000 || Math.abs(v) < 0.001
      ? v.toExponential(3)
      : String(Number(v.toPrecision(5)));
  }
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function nodeHeight(node: GraphNode): number {
  if (node.kind === 'metric')
    return 46 + 16 * Math.max(metricLines(node).length, node.metricError === undefined ? 0 : 1);
  if (node.kind === 'stage') return 54;
  return 46;
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Folder members: file nodes with the same folder and kind, when there are many. */
export function folderGroups(graph: GraphPayload, threshold: number): Map<string, GraphNode[]> {
  const groups = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    if (n.kind === 'stage' || n.kind === 'external' || n.path === undefined) continue;
    const slash = n.path.lastIndexOf('/');
    if (slash < 0) continue;
    const key = `${n.path.slice(0, slash)}|${n.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  for (const [key, members] of groups) if (members.length < threshold) groups.delete(key);
  return groups;
}

/** The graph with the chosen folders collapsed into one node each (edges merged). */
export function collapse(
  graph: GraphPayload,
  collapsed: Set<string>,
  threshold: number,
): GraphPayload {
  if (collapsed.size === 0) return graph;
  const groups = folderGroups(graph, threshold);
  const memberOf = new Map<string, string>();
  const folderNodes: GraphNode[] = [];
  for (const [key, members] of groups) {
    if (!collapsed.has(key)) continue;
    const [dir = '', kind = 'data'] = key.split('|');
    const id = `folder:${key}`;
    for (const m of members) memberOf.set(m.id, id);
    const statuses = new Set(
      members.map((m) => m.status).filter((s) => s !== undefined && s !== 'ok'),
    );
    const node: GraphNode = {
      id,
      kind: 'folder',
      label: `${dir}/ (${members.length} ${kind === 'code' ? 'code files' : kind === 'metric' ? 'metric files' : 'files'})`,
      path: dir,
      members: members.map((m) => m.id),
    };
    if (statuses.size > 0) node.status = 'modified';
    folderNodes.push(node);
  }
  const nodes = [...graph.nodes.filter((n) => !memberOf.has(n.id)), ...folderNodes];
  const edges = new Map<string, GraphEdge>();
  for (const e of graph.edges) {
    const source = memberOf.get(e.source) ?? e.source;
    const target = memberOf.get(e.target) ?? e.target;
    const id = `${source}->${target}`;
    if (source !== target && !edges.has(id)) edges.set(id, { id, source, target });
  }
  return { ...graph, nodes, edges: [...edges.values()] };
}

/** Every node upstream (ancestors) and downstream (descendants) of `id`. */
export function lineage(graph: GraphPayload, id: string): { up: Set<string>; down: Set<string> } {
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const e of graph.edges) {
    preds.set(e.target, [...(preds.get(e.target) ?? []), e.source]);
    succs.set(e.source, [...(succs.get(e.source) ?? []), e.target]);
  }
  const walk = (start: string, next: Map<string, string[]>): Set<string> => {
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const cur = queue.pop() as string;
      for (const n of next.get(cur) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          queue.push(n);
        }
      }
    }
    return seen;
  };
  return { up: walk(id, preds), down: walk(id, succs) };
}
