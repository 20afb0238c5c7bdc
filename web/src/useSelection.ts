import { useEffect, useState } from 'react';
import type { GraphPayload, NodeDetails } from '../../src/ui-server/types.ts';
import { fetchDetails, staticData } from './api.ts';
import { initialNode, setUrlState } from './urlState.ts';

export interface Selection {
  selected: string | null;
  setSelected: (id: string | null) => void;
  /** What the side panel shows of the selected node: first from the graph, then the server's. */
  details: NodeDetails | null;
}

/** The selected node (kept in the address with the revision) and its details. */
export function useSelection(rev: string, view: GraphPayload | null): Selection {
  const [selected, setSelected] = useState<string | null>(initialNode);
  const [details, setDetails] = useState<NodeDetails | null>(null);
  useEffect(() => {
    setUrlState(rev, selected);
    if (selected === null || view === null) {
      setDetails(null);
      return;
    }
    const node = view.nodes.find((n) => n.id === selected);
    if (node === undefined) {
      setDetails(null);
      return;
    }
    const local = (): NodeDetails => ({
      node,
      upstream: view.edges.filter((e) => e.target === node.id).map((e) => e.source),
      downstream: view.edges.filter((e) => e.source === node.id).map((e) => e.target),
    });
    if (staticData !== undefined || node.kind === 'folder') {
      setDetails(local());
      return;
    }
    let cancelled = false;
    setDetails(local());
    fetchDetails(node.id, rev).then(
      (d) => !cancelled && setDetails(d),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [selected, view, rev]);
  return { selected, setSelected, details };
}
