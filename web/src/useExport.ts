import { useCallback } from 'react';
import type { GraphPayload } from '../../src/ui-server/types.ts';
import { download, graphToSvg, svgToPng } from './exportSvg.ts';
import type { Positions } from './layoutCore.ts';

export interface Exports {
  exportSvg: () => void;
  exportPng: () => void;
}

/** Downloads of the drawn graph as `pipeline[-rev].svg` / `.png`. */
export function useExport(
  view: GraphPayload | null,
  positions: Positions | null,
  rev: string,
  onError: (message: string) => void,
): Exports {
  const name = `pipeline${rev === 'workspace' ? '' : `-${rev}`}`;
  const exportSvg = useCallback(() => {
    if (view === null || positions === null) return;
    download(`${name}.svg`, new Blob([graphToSvg(view, positions)], { type: 'image/svg+xml' }));
  }, [view, positions, name]);
  const exportPng = useCallback(() => {
    if (view === null || positions === null) return;
    svgToPng(graphToSvg(view, positions)).then(
      (blob) => download(`${name}.png`, blob),
      (e: unknown) => onError(String(e)),
    );
  }, [view, positions, name, onError]);
  return { exportSvg, exportPng };
}
