import { ReactFlowProvider } from '@xyflow/react';
import { useState, type JSX } from 'react';
import { staticData } from './api.ts';
import { Details } from './Details.tsx';
import { MetricsPanel } from './MetricsPanel.tsx';
import { PipelineCanvas } from './PipelineCanvas.tsx';
import { Summary } from './Summary.tsx';
import { TopBar } from './TopBar.tsx';
import { initialRev } from './urlState.ts';
import { useExport } from './useExport.ts';
import { useFlowElements } from './useFlowElements.ts';
import { folderKeyOf, useFolders } from './useFolders.ts';
import { useGraph } from './useGraph.ts';
import { useLayout } from './useLayout.ts';
import { useLiveRepro } from './useLiveRepro.ts';
import { useRevisions } from './useRevisions.ts';
import { useSearch } from './useSearch.ts';
import { useSelection } from './useSelection.ts';
import { useViewport } from './useViewport.ts';

export function App(): JSX.Element {
  return (
    <ReactFlowProvider>
      <Page />
    </ReactFlowProvider>
  );
}

/** The pipeline page: each hook owns one part of its state; this wires them to the parts drawn. */
function Page(): JSX.Element {
  const [rev, setRev] = useState(initialRev);
  const [reloadKey, setReloadKey] = useState(0);
  const [showMetrics, setShowMetrics] = useState(false);
  const reload = (): void => setReloadKey((k) => k + 1);

  const { graph, error, setError, collapsed, setCollapsed } = useGraph(rev, reloadKey);
  const revisions = useRevisions();
  const live = useLiveRepro(reload);
  const folders = useFolders(graph, collapsed, setCollapsed);
  const { view } = folders;
  const positions = useLayout(view);
  const { selected, setSelected, details } = useSelection(rev, view);
  const search = useSearch(view, setSelected);
  const { nodes, edges } = useFlowElements(view, positions, selected, search.matches, live);
  const { ready, unready } = useViewport(graph, view, positions, nodes);
  const exports = useExport(view, positions, rev, setError);

  return (
    <div
      className="app"
      data-ready={ready ? '1' : '0'}
      data-rev={graph?.rev ?? ''}
      data-nodes={nodes.length}
    >
      <TopBar
        rev={rev}
        revisions={revisions}
        onRevChange={(next) => {
          unready();
          setRev(next);
        }}
        search={search}
        folders={folders}
        showMetrics={showMetrics}
        onToggleMetrics={() => setShowMetrics(!showMetrics)}
        exports={exports}
      />
      <Summary graph={graph} running={live.running} error={error} />
      <main className="main">
        <PipelineCanvas nodes={nodes} edges={edges} onSelect={setSelected} />
        {details !== null ? (
          <Details
            details={details}
            rev={rev}
            isStatic={staticData !== undefined}
            nodeById={(id) => view?.nodes.find((n) => n.id === id)}
            onSelect={setSelected}
            onClose={() => setSelected(null)}
            folderKey={
              details.node.kind === 'folder'
                ? details.node.id.slice('folder:'.length)
                : folderKeyOf(details.node, folders.groups)
            }
            folderCollapsed={(key) => collapsed.has(key)}
            onToggleFolder={folders.toggleFolder}
            onFetched={reload}
          />
        ) : null}
      </main>
      {showMetrics ? (
        <MetricsPanel
          revisions={revisions}
          currentRev={rev}
          onClose={() => setShowMetrics(false)}
        />
      ) : null}
    </div>
  );
}
