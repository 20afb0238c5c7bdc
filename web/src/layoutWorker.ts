import ELK from 'elkjs/lib/elk.bundled.js';
import type { LayoutEdge, LayoutNode, Positions } from './layoutCore.ts';
import { LAYER_GAP, NODE_GAP } from './layoutCore.ts';

/** ELK's layered layout, off the UI thread. */
const elk = new ELK();

interface Request {
  seq: number;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
}

self.onmessage = (event: MessageEvent<Request>) => {
  const { seq, nodes, edges } = event.data;
  const known = new Set(nodes.map((n) => n.id));
  elk
    .layout({
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.layered.spacing.nodeNodeBetweenLayers': String(LAYER_GAP),
        'elk.spacing.nodeNode': String(NODE_GAP),
        'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
        'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
        'elk.separateConnectedComponents': 'true',
        'elk.spacing.componentComponent': '60',
      },
      children: nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
      edges: edges
        .filter((e) => known.has(e.source) && known.has(e.target))
        .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
    })
    .then((graph) => {
      const positions: Positions = {};
      for (const child of graph.children ?? [])
        positions[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
      self.postMessage({ seq, positions });
    })
    .catch((error: unknown) => {
      self.postMessage({ seq, error: String(error) });
    });
};
