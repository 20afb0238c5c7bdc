import { useReactFlow } from '@xyflow/react';
import { useEffect, useState } from 'react';
import type { GraphPayload } from '../../src/ui-server/types.ts';
import type { Positions } from './layoutCore.ts';
import type { SluiceFlowNode } from './SluiceNode.tsx';

/** Above this, draw only what is on screen and skip the minimap. */
export const BIG_GRAPH = 400;

export interface Viewport {
  /** The page is laid out and fitted (`data-ready` tells the tests). */
  ready: boolean;
  /** A new revision is on its way: not ready until it is laid out. */
  unready: () => void;
}

/** Fit the view once per layout, then say the page is ready. */
export function useViewport(
  graph: GraphPayload | null,
  view: GraphPayload | null,
  positions: Positions | null,
  nodes: SluiceFlowNode[],
): Viewport {
  const flow = useReactFlow();
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (nodes.length === 0 && view !== null && view.nodes.length > 0) return;
    if (view === null || positions === null) return;
    const id = requestAnimationFrame(() => {
      if (view.nodes.length > BIG_GRAPH) {
        // Fitting 1,000+ nodes draws them all at once; start readable on the first columns and
        // let onlyRenderVisibleElements draw only what is on screen.
        const ys = Object.values(positions)
          .filter((p) => p.x === 0)
          .map((p) => p.y);
        const top = ys.length === 0 ? 0 : Math.min(...ys);
        void flow.setViewport({ x: 40, y: 60 - top * 0.8, zoom: 0.8 }).then(() => setReady(true));
        return;
      }
      void flow.fitView({ padding: 0.08, maxZoom: 1.2, duration: 0 }).then(() => setReady(true));
    });
    return () => cancelAnimationFrame(id);
  }, [positions, graph]);
  return { ready, unready: () => setReady(false) };
}
