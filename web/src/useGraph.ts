import { useEffect, useRef, useState } from 'react';
import type { GraphPayload } from '../../src/ui-server/types.ts';
import { fetchGraph } from './api.ts';
import { folderGroups } from './model.ts';
import { FOLDER_THRESHOLD } from './useFolders.ts';

/** Big graphs start with their crowded folders collapsed. */
const AUTO_COLLAPSE_NODES = 1500;

export interface GraphState {
  graph: GraphPayload | null;
  error: string | null;
  setError: (error: string | null) => void;
  /** Folders drawn as one node; the first big graph loaded starts with them all collapsed. */
  collapsed: Set<string>;
  setCollapsed: (collapsed: Set<string>) => void;
}

/** The graph of `rev`, loaded again when `reloadKey` changes. */
export function useGraph(rev: string, reloadKey: number): GraphState {
  const [graph, setGraph] = useState<GraphPayload | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const autoCollapsed = useRef(false);

  useEffect(() => {
    let cancelled = false;
    setError(null);
    fetchGraph(rev).then(
      (g) => {
        if (cancelled) return;
        // Collapsed in the same render as the graph arrives, so the big graph is never laid out.
        if (!autoCollapsed.current && g.nodes.length > AUTO_COLLAPSE_NODES) {
          setCollapsed(new Set(folderGroups(g, FOLDER_THRESHOLD).keys()));
        }
        autoCollapsed.current = true;
        setGraph(g);
      },
      (e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [rev, reloadKey]);

  return { graph, error, setError, collapsed, setCollapsed };
}
