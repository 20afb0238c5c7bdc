import { useMemo } from 'react';
import type { GraphNode, GraphPayload } from '../../src/ui-server/types.ts';
import { collapse, folderGroups } from './model.ts';

/** A folder with more members than this can be collapsed into one node. */
export const FOLDER_THRESHOLD = 8;

export interface Folders {
  /** The graph as drawn: collapsed folders replaced by one node each. */
  view: GraphPayload | null;
  /** The folders that can be collapsed, by key. */
  groups: Map<string, GraphNode[]>;
  allCollapsed: boolean;
  toggleFolders: () => void;
  toggleFolder: (key: string) => void;
}

export function useFolders(
  graph: GraphPayload | null,
  collapsed: Set<string>,
  setCollapsed: (collapsed: Set<string>) => void,
): Folders {
  const view = useMemo(
    () => (graph === null ? null : collapse(graph, collapsed, FOLDER_THRESHOLD)),
    [graph, collapsed],
  );
  const groups = useMemo(
    () => (graph === null ? new Map<string, GraphNode[]>() : folderGroups(graph, FOLDER_THRESHOLD)),
    [graph],
  );
  const allCollapsed = groups.size > 0 && collapsed.size >= groups.size;
  const toggleFolders = (): void => {
    setCollapsed(allCollapsed ? new Set() : new Set(groups.keys()));
  };
  const toggleFolder = (key: string): void => {
    const next = new Set(collapsed);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setCollapsed(next);
  };
  return { view, groups, allCollapsed, toggleFolders, toggleFolder };
}

/** The collapsible folder `node` belongs to, if any. */
export function folderKeyOf(node: GraphNode, groups: Map<string, GraphNode[]>): string | undefined {
  for (const [key, members] of groups) if (members.some((m) => m.id === node.id)) return key;
  return undefined;
}
