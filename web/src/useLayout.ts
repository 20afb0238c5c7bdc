import { useEffect, useMemo, useState } from 'react';
import type { GraphPayload } from '../../src/ui-server/types.ts';
import { layout } from './layout.ts';
import type { Positions } from './layoutCore.ts';
import { NODE_WIDTH, nodeHeight } from './model.ts';

/**
 * Node positions of `view`, laid out (in a worker) only when the set of nodes or edges changes,
 * not on every status update. Null until the first layout is done.
 */
export function useLayout(view: GraphPayload | null): Positions | null {
  const [positions, setPositions] = useState<Positions | null>(null);
  const shapeKey = useMemo(
    () =>
      view === null
        ? ''
        : `${view.nodes.map((n) => `${n.id}:${nodeHeight(n)}`).join('|')}#${view.edges.map((e) => e.id).join('|')}`,
    [view],
  );
  useEffect(() => {
    if (view === null) return;
    let cancelled = false;
    const started = performance.now();
    layout(
      view.nodes.map((n) => ({ id: n.id, width: NODE_WIDTH, height: nodeHeight(n) })),
      view.edges,
    ).then(
      (p) => {
        if (cancelled) return;
        (window as unknown as { __sluiceLayoutMs?: number }).__sluiceLayoutMs =
          performance.now() - started;
        setPositions(p);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [shapeKey]);
  return positions;
}
