/**
 * `dvc dag` output: `--dot`, `--mermaid` and `--md` exactly as DVC 3.x prints them, and our own
 * ASCII drawing (DVC's grandalf drawing becomes unreadable for big pipelines). Every function
 * returns the whole stdout text, ending with a newline.
 */

import { SluiceError } from '../../core/1-base/errors.js';
import { compareCodePoints } from '../../core/1-base/python.js';
import { displayWidth } from './table.js';

export interface DagInput {
  /**
   * Node labels (stage addresses, or output paths with `-o`). Their order decides the order of the
   * weakly connected components (a component comes where its first node is), as networkx does with
   * DVC's graph insertion order.
   */
  nodes: readonly string[];
  /** `[upstream, downstream]` pairs. Nodes named only here are added after `nodes`. */
  edges: ReadonlyArray<readonly [from: string, to: string]>;
}

export interface DagAsciiOptions {
  /** Terminal width; a component whose drawing is wider is listed by layer instead. Default 80. */
  width?: number;
}

interface Graph {
  nodes: string[];
  edges: Array<[string, string]>;
}

function normalize(g: DagInput): Graph {
  const seen = new Set<string>();
  const nodes: string[] = [];
  const add = (n: string): void => {
    if (!seen.has(n)) {
      seen.add(n);
      nodes.push(n);
    }
  };
  for (const n of g.nodes) add(n);
  const edgeKeys = new Set<string>();
  const edges: Array<[string, string]> = [];
  for (const [from, to] of g.edges) {
    add(from);
    add(to);
    const key = `${from}\u0000${to}`;
    if (from === to || edgeKeys.has(key)) continue;
    edgeKeys.add(key);
    edges.push([from, to]);
  }
  return { nodes, edges };
}

/** Weakly connected components, ordered by their first node; nodes keep the input order. */
function components(g: Graph): Graph[] {
  const adj = new Map<string, string[]>(g.nodes.map((n) => [n, []]));
  for (const [a, b] of g.edges) {
    adj.get(a)?.push(b);
    adj.get(b)?.push(a);
  }
  const compOf = new Map<string, number>();
  const result: Graph[] = [];
  for (const start of g.nodes) {
    if (compOf.has(start)) continue;
    const idx = result.length;
    const members = new Set<string>([start]);
    compOf.set(start, idx);
    const stack = [start];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      for (const m of adj.get(n) ?? []) {
        if (!compOf.has(m)) {
          compOf.set(m, idx);
          members.add(m);
          stack.push(m);
        }
      }
    }
    result.push({ nodes: g.nodes.filter((n) => members.has(n)), edges: [] });
  }
  for (const e of g.edges) result[compOf.get(e[0]) ?? 0]?.edges.push(e);
  return result;
}

// For people reading a listing: `train@2` before `train@10`.
function naturalCmp(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (i % 2 === 1) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return compareCodePoints(x, y);
  }
  return pa.length - pb.length || compareCodePoints(a, b);
}

/**
 * `dvc dag --mermaid`: `flowchart TD`, then per component its nodes sorted by label, numbered
 * `node1…` across components, then its edges `upstream-->downstream` sorted by label pair.
 */
export function renderDagMermaid(g: DagInput): string {
  return `${mermaidText(normalize(g))}\n`;
}

/** `dvc dag --md`: the mermaid text in a mermaid code fence. */
export function renderDagMarkdown(g: DagInput): string {
  return `\`\`\`mermaid\n${mermaidText(normalize(g))}\n\`\`\`\n`;
}

function mermaidText(g: Graph): string {
  let text = 'flowchart TD';
  let total = 0;
  for (const comp of components(g)) {
    const ids = new Map<string, string>();
    for (const node of [...comp.nodes].sort(compareCodePoints)) {
      total += 1;
      ids.set(node, `node${total}`);
      text += `\n\t${ids.get(node) ?? ''}["${node}"]`;
    }
    const edges = [...comp.edges].sort(
      (x, y) => compareCodePoints(x[0], y[0]) || compareCodePoints(x[1], y[1]),
    );
    for (const [a, b] of edges) text += `\n\t${ids.get(a) ?? ''}-->${ids.get(b) ?? ''}`;
  }
  return text;
}

/**
 * `dvc dag --dot`: pydot's `strict digraph {` text with one `"node";` line per node and one
 * `"upstream" -> "downstream";` line per edge, in input order (DVC's order is networkx's), then
 * `}` and the blank line DVC's extra newline makes.
 */
export function renderDagDot(g: DagInput): string {
  const { nodes, edges } = normalize(g);
  const lines = ['strict digraph {'];
  for (const n of nodes) lines.push(`${quoteLabel(n)};`);
  for (const [a, b] of edges) lines.push(`${quoteLabel(a)} -> ${quoteLabel(b)};`);
  lines.push('}');
  return `${lines.join('\n')}\n\n`;
}

// DVC's _quote_label: labels are quoted unless they already start or end with a quote.
function quoteLabel(label: string): string {
  return label.startsWith('"') || label.endsWith('"') ? label : `"${label}"`;
}

/* ------------------------------------------------------------------------------------------------
 * ASCII drawing.
 *
 * Layered top-to-bottom layout: a node's layer is its longest path from a source, and sources sit
 * just above their first consumer. Edges spanning several layers go through one-column "dummy"
 * items. Each layer's order comes from barycenter sweeps (keeping the order with the fewest
 * crossings); x positions are averaged towards the neighbours so chains come out straight.
 *
 * Between two layers edges are routed in a channel: each source drops a `|` from the bottom of its
 * box to its own horizontal track, the track runs to every target, and each target gets a `|`
 * ending in `v` on top of its box. Exit and entry columns are kept distinct (except for a plain
 * one-to-one edge), so `+` always means "connected" and a `|` cutting a `-` line is a crossing.
 * When a component is wider than the terminal it is listed by layer instead, each node followed by
 * its upstream nodes.
 * --------------------------------------------------------------------------------------------- */

interface Item {
  name: string;
  dummy: boolean;
  layer: number;
  width: number;
  key: string;
  preds: number[];
  succs: number[];
  x: number;
}

interface Layout {
  items: Item[];
  layers: number[][];
}

const GAP = 2;

/** A text drawing of the pipeline graph, one block per connected component, blank-line separated. */
export function renderDagAscii(g: DagInput, opts: DagAsciiOptions = {}): string {
  const width = opts.width ?? 80;
  const blocks: string[] = [];
  for (const comp of components(normalize(g))) {
    const layout = buildLayout(comp, width);
    const drawing = layout.fits ? drawBoxes(layout) : undefined;
    const lines =
      drawing !== undefined && drawing.every((l) => displayWidth(l) <= width)
        ? drawing
        : listLayers(comp, layout, width);
    blocks.push(lines.join('\n'));
  }
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

function assignLayers(comp: Graph): Map<string, number> {
  const preds = new Map<string, string[]>(comp.nodes.map((n) => [n, []]));
  const succs = new Map<string, string[]>(comp.nodes.map((n) => [n, []]));
  for (const [a, b] of comp.edges) {
    preds.get(b)?.push(a);
    succs.get(a)?.push(b);
  }
  const indeg = new Map<string, number>(comp.nodes.map((n) => [n, preds.get(n)?.length ?? 0]));
  const queue = comp.nodes.filter((n) => indeg.get(n) === 0);
  const layer = new Map<string, number>();
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i] ?? '';
    layer.set(n, Math.max(-1, ...(preds.get(n) ?? []).map((p) => layer.get(p) ?? 0)) + 1);
    for (const s of succs.get(n) ?? []) {
      const d = (indeg.get(s) ?? 0) - 1;
      indeg.set(s, d);
      if (d === 0) queue.push(s);
    }
  }
  if (queue.length !== comp.nodes.length) {
    const stuck = comp.nodes.filter((n) => !layer.has(n));
    throw new SluiceError('CYCLE', `Pipeline has a cycle involving: ${stuck.join(', ')}`);
  }
  // A source used only further down (params files, later data) sits right above its first use.
  for (const n of comp.nodes) {
    const s = succs.get(n) ?? [];
    if ((preds.get(n)?.length ?? 0) === 0 && s.length > 0) {
      layer.set(n, Math.min(...s.map((m) => layer.get(m) ?? 1)) - 1);
    }
  }
  return layer;
}

/** Layers with dummies; ordered and placed only when the narrowest packing fits in `width`. */
function buildLayout(comp: Graph, width: number): Layout & { fits: boolean } {
  const layerOf = assignLayers(comp);
  const items: Item[] = [];
  const index = new Map<string, number>();
  let depth = 0;
  for (const n of comp.nodes) {
    const layer = layerOf.get(n) ?? 0;
    depth = Math.max(depth, layer + 1);
    index.set(n, items.length);
    items.push({
      name: n,
      dummy: false,
      layer,
      width: displayWidth(n) + 4,
      key: n,
      preds: [],
      succs: [],
      x: 0,
    });
  }
  const layers: number[][] = Array.from({ length: depth }, () => []);
  const layerWidth: number[] = Array.from({ length: depth }, () => -GAP);
  const addToLayer = (id: number): void => {
    const it = items[id];
    if (it === undefined) return;
    layers[it.layer]?.push(id);
    layerWidth[it.layer] = (layerWidth[it.layer] ?? 0) + it.width + GAP;
  };
  items.forEach((_, id) => addToLayer(id));
  // Drawings wider than the terminal are listed instead: skip dummies, ordering and placement,
  // which keeps huge pipelines fast.
  const tooWide = (): boolean => layerWidth.some((w) => w > width);
  if (tooWide()) return { items, layers, fits: false };
  const link = (a: number, b: number): void => {
    items[a]?.succs.push(b);
    items[b]?.preds.push(a);
  };
  for (const [from, to] of comp.edges) {
    let prev = index.get(from) ?? 0;
    const last = index.get(to) ?? 0;
    const fromLayer = items[prev]?.layer ?? 0;
    const toLayer = items[last]?.layer ?? 0;
    for (let l = fromLayer + 1; l < toLayer; l++) {
      const id = items.length;
      const key = `${from}\u0000${to}`;
      items.push({ name: '', dummy: true, layer: l, width: 1, key, preds: [], succs: [], x: 0 });
      addToLayer(id);
      if ((layerWidth[l] ?? 0) > width) return { items, layers, fits: false };
      link(prev, id);
      prev = id;
    }
    link(prev, last);
  }
  orderLayers(items, layers);
  placeLayers(items, layers);
  return { items, layers, fits: true };
}

function orderLayers(items: Item[], layers: number[][]): void {
  const keyOf = (id: number): string => items[id]?.key ?? '';
  const pos = new Map<number, number>();
  const setPos = (layer: number[]): void => layer.forEach((id, i) => pos.set(id, i));
  const bary = (layer: number[], useSuccs: boolean): void => {
    const value = new Map<number, number>();
    layer.forEach((id, i) => {
      const nb = (useSuccs ? items[id]?.succs : items[id]?.preds) ?? [];
      value.set(
        id,
        nb.length === 0 ? i : nb.reduce((s, n) => s + (pos.get(n) ?? 0), 0) / nb.length,
      );
    });
    const current = new Map(layer.map((id, i) => [id, i]));
    layer.sort(
      (a, b) =>
        (value.get(a) ?? 0) - (value.get(b) ?? 0) || (current.get(a) ?? 0) - (current.get(b) ?? 0),
    );
    setPos(layer);
  };

  layers[0]?.sort((a, b) => compareCodePoints(keyOf(a), keyOf(b)));
  if (layers[0]) setPos(layers[0]);
  for (let l = 1; l < layers.length; l++) {
    const layer = layers[l] ?? [];
    layer.sort((a, b) => compareCodePoints(keyOf(a), keyOf(b)));
    bary(layer, false);
  }

  let best = layers.map((l) => [...l]);
  let bestCrossings = countCrossings(items, layers, pos);
  for (let sweep = 0; sweep < 8 && bestCrossings > 0; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l < layers.length; l++) bary(layers[l] ?? [], false);
    else for (let l = layers.length - 2; l >= 0; l--) bary(layers[l] ?? [], true);
    const c = countCrossings(items, layers, pos);
    if (c < bestCrossings) {
      bestCrossings = c;
      best = layers.map((l) => [...l]);
    }
  }
  best.forEach((l, i) => {
    layers[i] = l;
  });
}

function countCrossings(items: Item[], layers: number[][], pos: Map<number, number>): number {
  let total = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const edges: Array<[number, number]> = [];
    for (const id of layers[l] ?? []) {
      for (const s of items[id]?.succs ?? []) edges.push([pos.get(id) ?? 0, pos.get(s) ?? 0]);
    }
    for (let i = 0; i < edges.length; i++) {
      for (let j = i + 1; j < edges.length; j++) {
        const [a1, b1] = edges[i] ?? [0, 0];
        const [a2, b2] = edges[j] ?? [0, 0];
        if ((a1 - a2) * (b1 - b2) < 0) total++;
      }
    }
  }
  return total;
}

function centre(it: Item): number {
  return it.x + Math.floor(it.width / 2);
}

function placeLayers(items: Item[], layers: number[][]): void {
  const at = (id: number): Item => items[id];
  for (const layer of layers) {
    let x = 0;
    for (const id of layer) {
      at(id).x = x;
      x += at(id).width + GAP;
    }
  }
  // Sugiyama's priority method: dummies (long edges) first so they run straight, then the nodes
  // with the most neighbours; an item may push lower-priority items aside but never a placed one.
  const place = (layer: number[], desired: number[], useSuccs: boolean): void => {
    const n = layer.length;
    const its = layer.map(at);
    const prio = its.map((it) => (it.dummy ? 1e6 : (useSuccs ? it.succs : it.preds).length));
    const order = its.map((_, i) => i).sort((a, b) => (prio[b] ?? 0) - (prio[a] ?? 0) || a - b);
    const fixed = new Set<number>();
    const prefix = [0];
    its.forEach((it, k) => prefix.push((prefix[k] ?? 0) + it.width + GAP));
    const span = (from: number, to: number): number => (prefix[to] ?? 0) - (prefix[from] ?? 0);
    for (const i of order) {
      const it = its[i];
      let want = desired[i] ?? it.x;
      for (const j of fixed) {
        const other = its[j];
        if (j > i) want = Math.min(want, other.x - span(i, j));
        else want = Math.max(want, other.x + span(j, i));
      }
      it.x = want;
      for (let k = i + 1; k < n; k++) {
        const prev = its[k - 1];
        const cur = its[k];
        cur.x = Math.max(cur.x, prev.x + prev.width + GAP);
      }
      for (let k = i - 1; k >= 0; k--) {
        const next = its[k + 1];
        const cur = its[k];
        cur.x = Math.min(cur.x, next.x - cur.width - GAP);
      }
      fixed.add(i);
    }
  };
  const pass = (l: number, useSuccs: boolean): void => {
    const layer = layers[l] ?? [];
    const desired = layer.map((id) => {
      const it = at(id);
      const nb = useSuccs ? it.succs : it.preds;
      if (nb.length === 0) return it.x;
      const avg = nb.reduce((s, m) => s + centre(at(m)), 0) / nb.length;
      return Math.round(avg) - Math.floor(it.width / 2);
    });
    place(layer, desired, useSuccs);
  };
  for (let iter = 0; iter < 6; iter++) {
    for (let l = 1; l < layers.length; l++) pass(l, false);
    for (let l = layers.length - 2; l >= 0; l--) pass(l, true);
  }
  for (let l = 1; l < layers.length; l++) pass(l, false);
  const minX = items.reduce((m, it) => Math.min(m, it.x), Infinity);
  for (const it of items) it.x -= minX;
}

/** The box drawing, or undefined when the edges cannot be routed unambiguously. */
function drawBoxes(layout: Layout): string[] | undefined {
  const { items, layers } = layout;
  const at = (id: number): Item => items[id];
  const canvas: string[][] = [];
  const put = (row: number, col: number, ch: string): void => {
    while (canvas.length <= row) canvas.push([]);
    const line = canvas[row];
    while (line.length < col) line.push(' ');
    line[col] = ch;
  };
  const text = (row: number, col: number, s: string): void => {
    // Wide characters take two cells: the second holds '' so columns stay aligned.
    let c = col;
    for (const ch of s) {
      put(row, c, ch);
      const w = displayWidth(ch);
      for (let k = 1; k < w; k++) put(row, c + k, '');
      c += Math.max(w, 1);
    }
  };

  let row = 0;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l] ?? [];
    for (const id of layer) {
      const it = at(id);
      if (it.dummy) {
        for (let r = 0; r < 3; r++) put(row + r, it.x, '|');
      } else {
        const border = `+${'-'.repeat(it.width - 2)}+`;
        text(row, it.x, border);
        text(row + 1, it.x, `| ${it.name} |`);
        text(row + 2, it.x, border);
      }
    }
    row += 3;
    if (l + 1 < layers.length) {
      const channel = routeChannel(items, layer, layers[l + 1] ?? []);
      if (channel === undefined) return undefined;
      channel.forEach((line, r) => [...line].forEach((ch, c) => ch !== ' ' && put(row + r, c, ch)));
      row += channel.length;
    }
  }
  return canvas.map((line) => line.join('').trimEnd());
}

/** The rows between two layers, or undefined when an exit and an entry column cannot be separated. */
function routeChannel(items: Item[], upper: number[], lower: number[]): string[] | undefined {
  const at = (id: number): Item => items[id];
  const exit = new Map<number, number>();
  const entry = new Map<number, number>();
  for (const id of upper) if (at(id).succs.length > 0) exit.set(id, centre(at(id)));
  for (const id of lower) if (at(id).preds.length > 0) entry.set(id, centre(at(id)));
  const straight = (s: number, t: number): boolean =>
    at(s).succs.length === 1 &&
    at(t).preds.length === 1 &&
    at(s).succs[0] === t &&
    exit.get(s) === entry.get(t);
  // Free columns inside a box, nearest to its centre first, preferring ones with free neighbours
  // so that two junctions never touch.
  const freeColumn = (it: Item, taken: Set<number>): number | undefined => {
    const c = centre(it);
    const cols: number[] = [];
    for (let d = 1; d < it.width; d++)
      for (const x of [c - d, c + d]) if (x > it.x && x < it.x + it.width - 1) cols.push(x);
    return (
      cols.find((x) => !taken.has(x) && !taken.has(x - 1) && !taken.has(x + 1)) ??
      cols.find((x) => !taken.has(x))
    );
  };
  const near = (col: number, taken: Set<number>): boolean =>
    taken.has(col - 1) || taken.has(col + 1);
  // Move box entries off exit columns first, then box exits off the (now fixed) entry columns.
  // Columns right next to another port are avoided too when the box has room.
  for (const t of lower) {
    const col = entry.get(t);
    if (col === undefined || at(t).dummy) continue;
    const taken = new Set([...exit].filter(([s]) => !straight(s, t)).map(([, c]) => c));
    if (!taken.has(col) && !near(col, taken)) continue;
    const free = freeColumn(at(t), taken);
    if (free !== undefined && (taken.has(col) || !near(free, taken))) entry.set(t, free);
  }
  for (const [s, col] of exit) {
    const taken = new Set([...entry].filter(([t]) => !straight(s, t)).map(([, c]) => c));
    if (!taken.has(col) && (at(s).dummy || !near(col, taken))) continue;
    if (at(s).dummy) return undefined;
    const free = freeColumn(at(s), taken);
    if (free === undefined) {
      if (taken.has(col)) return undefined;
      continue;
    }
    if (taken.has(col) || !near(free, taken)) exit.set(s, free);
  }

  // Sources with the same targets share one track: it then means "all of these feed all of those".
  interface Bus {
    sources: number[];
    targets: number[];
    lo: number;
    hi: number;
    row: number;
  }
  const byTargets = new Map<string, Bus>();
  for (const [s] of exit) {
    const succs = at(s).succs;
    if (succs.length === 1 && straight(s, succs[0] ?? -1)) continue;
    const key = [...succs].sort((a, b) => a - b).join(',');
    const bus = byTargets.get(key) ?? {
      sources: [],
      targets: succs,
      lo: Infinity,
      hi: -Infinity,
      row: 0,
    };
    bus.sources.push(s);
    byTargets.set(key, bus);
  }
  const buses = [...byTargets.values()];
  for (const bus of buses) {
    const cols = [
      ...bus.sources.map((s) => exit.get(s) ?? 0),
      ...bus.targets.map((t) => entry.get(t) ?? 0),
    ];
    bus.lo = Math.min(...cols);
    bus.hi = Math.max(...cols);
  }
  buses.sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const rowEnds: number[] = [];
  for (const bus of buses) {
    let r = rowEnds.findIndex((end) => end + 2 <= bus.lo);
    if (r === -1) r = rowEnds.length;
    rowEnds[r] = bus.hi;
    bus.row = r + 1;
  }
  const height = rowEnds.length + 2;
  const grid: string[][] = Array.from({ length: height }, () => []);
  const put = (r: number, c: number, ch: string): void => {
    const line = grid[r];
    while (line.length < c) line.push(' ');
    line[c] = ch;
  };
  const vertical = (c: number, from: number, to: number): void => {
    for (let r = from; r <= to; r++) put(r, c, '|');
  };
  const busOf = new Map<number, Bus>();
  for (const bus of buses) for (const src of bus.sources) busOf.set(src, bus);
  for (const [s, col] of exit) vertical(col, 0, busOf.get(s)?.row ?? height - 1);
  const firstRow = new Map<number, number>();
  for (const bus of buses) {
    for (const t of bus.targets) firstRow.set(t, Math.min(firstRow.get(t) ?? height, bus.row));
  }
  for (const [t, col] of entry) {
    vertical(col, firstRow.get(t) ?? 0, height - 1);
    if (!at(t).dummy) put(height - 1, col, 'v');
  }
  for (const bus of buses) {
    const line = grid[bus.row];
    const joins = new Set([
      ...bus.sources.map((s) => exit.get(s)),
      ...bus.targets.map((t) => entry.get(t)),
    ]);
    for (let c = bus.lo; c <= bus.hi; c++) {
      if (joins.has(c)) put(bus.row, c, '+');
      else if (line[c] !== '|') put(bus.row, c, '-');
    }
  }
  return grid.map((line) => line.join(''));
}

/** The fallback for wide components: each layer, then its nodes with their upstream nodes. */
function listLayers(comp: Graph, layout: Layout, width: number): string[] {
  const preds = new Map<string, string[]>(comp.nodes.map((n) => [n, []]));
  for (const [a, b] of comp.edges) preds.get(b)?.push(a);
  const lines: string[] = [];
  layout.layers.forEach((layer, l) => {
    const names = layer
      .map((id) => layout.items[id])
      .filter((it): it is Item => it !== undefined && !it.dummy)
      .map((it) => it.name)
      .sort(naturalCmp);
    if (names.length === 0) return;
    lines.push(`layer ${l + 1}:`);
    const pad = Math.min(
      names.reduce((m, n) => Math.max(m, displayWidth(n)), 0),
      32,
    );
    for (const name of names) {
      const ups = [...(preds.get(name) ?? [])].sort(naturalCmp);
      if (ups.length === 0) {
        lines.push(`  ${name}`);
        continue;
      }
      const head = `  ${name}${' '.repeat(Math.max(pad - displayWidth(name), 0))}  <- `;
      const indent = displayWidth(head) > width / 2 ? '      ' : ' '.repeat(displayWidth(head));
      let line = head;
      ups.forEach((up, i) => {
        const piece = i < ups.length - 1 ? `${up},` : up;
        const startsLine = line === head || line === indent;
        if (!startsLine && displayWidth(line) + 1 + displayWidth(piece) > width) {
          lines.push(line);
          line = indent + piece;
        } else {
          line += (startsLine ? '' : ' ') + piece;
        }
      });
      lines.push(line);
    }
  });
  return lines;
}
