import { useReactFlow } from '@xyflow/react';
import { useCallback, useMemo, useState } from 'react';
import type { GraphPayload } from '../../src/ui-server/types.ts';

export interface Search {
  search: string;
  setSearch: (text: string) => void;
  /** Ids of the nodes whose label, path, address or command contain the text; null when empty. */
  matches: Set<string> | null;
  /** Bring the matches into view; a single match is selected too. */
  focus: () => void;
}

export function useSearch(view: GraphPayload | null, select: (id: string | null) => void): Search {
  const flow = useReactFlow();
  const [search, setSearch] = useState('');
  const matches = useMemo(() => {
    const q = search.trim().toLowerCase();
    if (q === '' || view === null) return null;
    return new Set(
      view.nodes
        .filter((n) =>
          `${n.label} ${n.path ?? ''} ${n.address ?? ''} ${n.cmd ?? ''}`.toLowerCase().includes(q),
        )
        .map((n) => n.id),
    );
  }, [search, view]);
  const focus = useCallback(() => {
    if (matches === null || matches.size === 0) return;
    void flow.fitView({
      nodes: [...matches].slice(0, 50).map((id) => ({ id })),
      padding: 0.3,
      maxZoom: 1.2,
      duration: 0,
    });
    if (matches.size === 1) select([...matches][0] ?? null);
  }, [flow, matches, select]);
  return { search, setSearch, matches, focus };
}
