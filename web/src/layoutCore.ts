/** Layout input and output, shared by the page and the layout worker. */
export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}
export interface LayoutEdge {
  id: string;
  source: string;
  target: string;
}
export type Positions = Record<string, { x: number; y: number }>;

export const LAYER_GAP = 90;
export const NODE_GAP = 18;

/**
 * A fast layered layout, left to right: longest-path layers, then a few barycenter sweeps to
 * reduce crossings. O(V+E) per sweep, so a few thousand nodes take milliseconds; ELK gives a
 * nicer result for small graphs and is used there.
 */
export function fastLayout(nodes: LayoutNode[], edges: LayoutEdge[]): Positions {
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  const known = new Set(nodes.map((n) => n.id));
  for (const n of nodes) {
    preds.set(n.id, []);
    succs.set(n.id, []);
  }
  for (const e of edges) {
    if (!known.has(e.source) || !known.has(e.target)) continue;
    preds.get(e.target)?.push(e.source);
    succs.get(e.source)?.push(e.target);
  }
  // Kahn order; a cycle (not possible in a valid pipeline) just breaks at the leftovers.
  const indeg = new Map(nodes.map((n) => [n.id, preds.get(n.id)?.length ?? 0]));
  const order: string[] = [];
  const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  while (queue.length > 0) {
    const id = queue.shift() as string;
    order.push(id);
    for (const s of succs.get(id) ?? []) {
      const d = (indeg.get(s) ?? 1) - 1;
      indeg.set(s, d);
      if (d === 0) queue.push(s);
    }
  }
  for (const n of nodes) if (!order.includes(n.id)) order.push(n.id);
  const layer = new Map<string, number>();
  for (const id of order) {
    let l = 0;
    for (const p of preds.get(id) ?? []) l = Math.max(l, (layer.get(p) ?? 0) + 1);
    layer.set(id, l);
  }
  // Sources sit next to their first consumer rather than all in column 0.
  for (const id of [...order].reverse()) {
    if ((preds.get(id) ?? []).length > 0) continue;
    const next = succs.get(id) ?? [];
    if (next.length === 0) continue;
    layer.set(id, Math.max(0, Math.min(...next.map((s) => layer.get(s) ?? 1)) - 1));
  }
  const layers: string[][] = [];
  for (const id of order) {
    const l = layer.get(id) ?? 0;
    (layers[l] ??= []).push(id);
  }
  const pos = new Map<string, number>();
  const assign = (): void => {
    for (const ids of layers) ids?.forEach((id, i) => pos.set(id, i));
  };
  assign();
  const bary = (id: string, neighbours: string[]): number => {
    const ps = neighbours.map((n) => pos.get(n)).filter((p): p is number => p !== undefined);
    return ps.length === 0 ? (pos.get(id) ?? 0) : ps.reduce((a, b) => a + b, 0) / ps.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const range = down ? layers.map((_, i) => i) : layers.map((_, i) => layers.length - 1 - i);
    for (const l of range) {
      const ids = layers[l];
      if (ids === undefined) continue;
      const keys = new Map(ids.map((id) => [id, bary(id, (down ? preds : succs).get(id) ?? [])]));
      ids.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0));
      ids.forEach((id, i) => pos.set(id, i));
    }
  }
  const size = new Map(nodes.map((n) => [n.id, n]));
  const result: Positions = {};
  let x = 0;
  for (const ids of layers) {
    if (ids === undefined) continue;
    const width = Math.max(...ids.map((id) => size.get(id)?.width ?? 0));
    const total = ids.reduce((sum, id) => sum + (size.get(id)?.height ?? 0) + NODE_GAP, -NODE_GAP);
    let y = -total / 2;
    for (const id of ids) {
      const n = size.get(id);
      result[id] = { x, y };
      y += (n?.height ?? 0) + NODE_GAP;
    }
    x += width + LAYER_GAP;
  }
  return result;
}
