import type { Edge } from '@xyflow/react';
import { useEffect, useMemo, useRef } from 'react';
import type { GraphPayload, LivePayload, LiveStageState } from '../../src/ui-server/types.ts';
import type { Positions } from './layoutCore.ts';
import { NODE_WIDTH, lineage, nodeHeight } from './model.ts';
import type { SluiceFlowNode } from './SluiceNode.tsx';

export interface FlowElements {
  nodes: SluiceFlowNode[];
  edges: Edge[];
}

/**
 * The nodes and edges React Flow draws: positioned, highlighted along the selected node's
 * lineage and the search matches (the rest dimmed), with the live repro states.
 */
export function useFlowElements(
  view: GraphPayload | null,
  positions: Positions | null,
  selected: string | null,
  searchMatches: Set<string> | null,
  live: LivePayload,
): FlowElements {
  const previous = useRef(new Map<string, SluiceFlowNode>());

  const lineageSets = useMemo(
    () => (view === null || selected === null ? null : lineage(view, selected)),
    [view, selected],
  );

  const liveById = useMemo(() => {
    const map = new Map<string, LiveStageState>();
    for (const [address, state] of Object.entries(live.stages)) map.set(`stage:${address}`, state);
    return map;
  }, [live]);

  const nodes: SluiceFlowNode[] = useMemo(() => {
    if (view === null || positions === null) return [];
    return view.nodes.flatMap((n) => {
      const p = positions[n.id];
      if (p === undefined) return [];
      let hl: 'up' | 'down' | 'match' | 'selected' | undefined;
      let dim = false;
      if (selected === n.id) hl = 'selected';
      else if (lineageSets?.up.has(n.id) === true) hl = 'up';
      else if (lineageSets?.down.has(n.id) === true) hl = 'down';
      else if (lineageSets !== null) dim = true;
      if (searchMatches !== null) {
        if (searchMatches.has(n.id)) hl = hl ?? 'match';
        else dim = true;
      }
      const liveState = liveById.get(n.id);
      // Reuse the previous node object when nothing drawn changed: memoised nodes skip rendering.
      const prev = previous.current.get(n.id);
      if (
        prev !== undefined &&
        prev.position === p &&
        prev.data.node === n &&
        prev.data.dim === dim &&
        prev.data.hl === hl &&
        prev.data.live === liveState
      ) {
        return [prev];
      }
      const next: SluiceFlowNode = {
        id: n.id,
        type: 'sluice' as const,
        position: p,
        width: NODE_WIDTH,
        height: nodeHeight(n),
        data: {
          node: n,
          dim,
          ...(hl === undefined ? {} : { hl }),
          ...(liveState === undefined ? {} : { live: liveState }),
        },
        draggable: false,
        connectable: false,
      };
      return [next];
    });
  }, [view, positions, selected, lineageSets, searchMatches, liveById]);
  useEffect(() => {
    previous.current = new Map(nodes.map((n) => [n.id, n]));
  }, [nodes]);

  const edges: Edge[] = useMemo(() => {
    if (view === null) return [];
    return view.edges.map((e) => {
      const inLineage =
        lineageSets !== null &&
        (e.source === selected || lineageSets.up.has(e.source) || lineageSets.down.has(e.source)) &&
        (e.target === selected || lineageSets.up.has(e.target) || lineageSets.down.has(e.target));
      const running = liveById.get(e.target) === 'running';
      return {
        id: e.id,
        source: e.source,
        target: e.target,
        animated: running,
        className: lineageSets === null ? '' : inLineage ? 'edge-hl' : 'edge-dim',
      };
    });
  }, [view, lineageSets, selected, liveById]);

  return { nodes, edges };
}
