import type { JSX } from 'react';
import type { RevisionsPayload } from '../../src/ui-server/types.ts';
import { Icon } from './icons.tsx';
import { RevisionPicker } from './RevisionPicker.tsx';
import { SearchBox } from './SearchBox.tsx';
import type { Exports } from './useExport.ts';
import type { Folders } from './useFolders.ts';
import type { Search } from './useSearch.ts';

/** The header: brand, revision picker, search, and the folder/metrics/export buttons. */
export function TopBar(props: {
  rev: string;
  revisions: RevisionsPayload | null;
  onRevChange: (rev: string) => void;
  search: Search;
  folders: Folders;
  showMetrics: boolean;
  onToggleMetrics: () => void;
  exports: Exports;
}): JSX.Element {
  const { folders } = props;
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo">◆</span> Sluice <span className="muted">pipeline</span>
      </div>
      <RevisionPicker rev={props.rev} revisions={props.revisions} onChange={props.onRevChange} />
      <SearchBox search={props.search} />
      <div className="actions">
        {folders.groups.size > 0 ? (
          <button type="button" data-testid="toggle-folders" onClick={folders.toggleFolders}>
            <Icon name="folder" /> {folders.allCollapsed ? 'Expand folders' : 'Group folders'}
          </button>
        ) : null}
        <button
          type="button"
          data-testid="toggle-metrics"
          className={props.showMetrics ? 'on' : ''}
          onClick={props.onToggleMetrics}
        >
          <Icon name="gauge" /> Metrics
        </button>
        <button type="button" data-testid="export-svg" onClick={props.exports.exportSvg}>
          <Icon name="download" /> SVG
        </button>
        <button type="button" data-testid="export-png" onClick={props.exports.exportPng}>
          <Icon name="download" /> PNG
        </button>
      </div>
    </header>
  );
}
