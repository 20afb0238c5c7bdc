import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Edge,
  type NodeMouseHandler,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type JSX } from 'react';
import type {
  GraphNode,
  GraphPayload,
  LivePayload,
  LiveStageState,
  NodeDetails,
  RevisionsPayload,
} from '../../src/ui-server/types.ts';
import { fetchDetails, fetchGraph, fetchRevisions, staticData } from './api.ts';
import { Details } from './Details.tsx';
import { download, graphToSvg, svgToPng } from './exportSvg.ts';
import { Icon } from './icons.tsx';
import { layout } from './layout.ts';
import type { Positions } from './layoutCore.ts';
import { MetricsPanel } from './MetricsPanel.tsx';
import {
  KIND_COLORS,
  KIND_ICON,
  LOCATION_ICON,
  LOCATION_TEXT,
  NODE_WIDTH,
  collapse,
  folderGroups,
  lineage,
  nodeHeight,
} from './model.ts';
import { SluiceNode, type SluiceFlowNode } from './SluiceNode.tsx';

const nodeTypes = { sluice: SluiceNode };
const FOLDER_THRESHOLD = 8;
/** Big graphs start with their crowded folders collapsed. */
const AUTO_COLLAPSE_NODES = 1500;
/** Above this, draw only what is on screen and skip the minimap. */
const BIG_GRAPH = 400;

function initialRev(): string {
  const rev = new URLSearchParams(window.location.search).get('rev');
  return rev === null || rev === '' ? 'workspace' : rev;
}

function setUrlState(rev: string, node: string | null): void {
  const params = new URLSearchParams(window.location.search);
  if (rev === 'workspace') params.delete('rev');
  else params.set('rev', rev);
  if (node === null) params.delete('node');
  else params.set('node', node);
  const q = params.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${q === '' ? '' : `?${q}`}`);
}

export function App(): JSX.Element {
  return (
    <ReactFlowProvider>
      <Page />
    </ReactFlowProvider>
  );
}

function Page(): JSX.Element {
  const [rev, setRev] = useState(initialRev);
  const [graph, setGraph] = useState<GraphPayload | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revisions, setRevisions] = useState<RevisionsPayload | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [positions, setPositions] = useState<Positions | null>(null);
  const [selected, setSelected] = useState<string | null>(() =>
    new URLSearchParams(window.location.search).get('node'),
  );
  const [details, setDetails] = useState<NodeDetails | null>(null);
  const [search, setSearch] = useState('');
  const [live, setLive] = useState<LivePayload>({ running: false, stages: {} });
  const [showMetrics, setShowMetrics] = useState(false);
  const [ready, setReady] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);
  const flow = useReactFlow();
  const autoCollapsed = useRef(false);
  const previous = useRef(new Map<string, SluiceFlowNode>());

  useEffect(() => {
    let cancelled = false;
    setError(null);
    fetchGraph(rev).then(
      (g) => {
        if (cancelled) return;
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

  useEffect(() => {
    fetchRevisions().then(setRevisions, () => undefined);
  }, []);

  // Live repro states, pushed by the server while `sluice repro` runs.
  useEffect(() => {
    if (staticData !== undefined || typeof EventSource === 'undefined') return undefined;
    const source = new EventSource('api/events');
    let wasRunning = false;
    let seenRunning = false;
    source.addEventListener('live', (event) => {
      const payload = JSON.parse((event as MessageEvent<string>).data) as LivePayload;
      // states of a repro that ended before the page opened are history, not live
      seenRunning ||= payload.running;
      setLive(seenRunning ? payload : { running: false, stages: {} });
      // a finished repro changed hashes and status: reload the graph
      if (wasRunning && !payload.running) setReloadKey((k) => k + 1);
      wasRunning = payload.running;
    });
    return () => source.close();
  }, []);

  const view = useMemo(
    () => (graph === null ? null : collapse(graph, collapsed, FOLDER_THRESHOLD)),
    [graph, collapsed],
  );
  const groups = useMemo(
    () => (graph === null ? new Map<string, GraphNode[]>() : folderGroups(graph, FOLDER_THRESHOLD)),
    [graph],
  );

  // Layout only when the set of nodes or edges changes, not on every status update.
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

  const searchMatches = useMemo(() => {
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

  // Fit once per layout, then tell tests (and the impatient) the page is ready.
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

  const onNodeClick: NodeMouseHandler<SluiceFlowNode> = useCallback(
    (_e, n) => setSelected(n.id),
    [],
  );

  const focusSearch = useCallback(() => {
    if (searchMatches === null || searchMatches.size === 0) return;
    void flow.fitView({
      nodes: [...searchMatches].slice(0, 50).map((id) => ({ id })),
      padding: 0.3,
      maxZoom: 1.2,
      duration: 0,
    });
    if (searchMatches.size === 1) setSelected([...searchMatches][0] ?? null);
  }, [flow, searchMatches]);

  const exportSvg = useCallback(() => {
    if (view === null || positions === null) return;
    download(
      `pipeline${rev === 'workspace' ? '' : `-${rev}`}.svg`,
      new Blob([graphToSvg(view, positions)], { type: 'image/svg+xml' }),
    );
  }, [view, positions, rev]);
  const exportPng = useCallback(() => {
    if (view === null || positions === null) return;
    svgToPng(graphToSvg(view, positions)).then(
      (blob) => download(`pipeline${rev === 'workspace' ? '' : `-${rev}`}.png`, blob),
      (e: unknown) => setError(String(e)),
    );
  }, [view, positions, rev]);

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

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const n of graph?.nodes ?? []) c[n.kind] = (c[n.kind] ?? 0) + 1;
    return c;
  }, [graph]);
  const changed = (graph?.nodes ?? []).filter(
    (n) => n.status !== undefined && n.status !== 'ok',
  ).length;

  return (
    <div
      className="app"
      data-ready={ready ? '1' : '0'}
      data-rev={graph?.rev ?? ''}
      data-nodes={nodes.length}
    >
      <header className="topbar">
        <div className="brand">
          <span className="logo">◆</span> Sluice <span className="muted">pipeline</span>
        </div>
        <label className="revpick">
          <span className="muted">Revision</span>
          <select
            data-testid="rev-select"
            value={rev}
            disabled={staticData !== undefined}
            onChange={(e) => {
              setReady(false);
              setRev(e.target.value);
            }}
          >
            <option value="workspace">
              workspace
              {staticData === undefined
                ? ''
                : ` (exported ${staticData.generatedAt.slice(0, 16).replace('T', ' ')})`}
            </option>
            {revisions?.branches.length ? (
              <optgroup label="Branches">
                {revisions.branches.map((b) => (
                  <option key={`b:${b}`} value={b}>
                    {b}
                    {b === revisions.current ? ' (current)' : ''}
                  </option>
                ))}
              </optgroup>
            ) : null}
            {revisions?.tags.length ? (
              <optgroup label="Tags">
                {revisions.tags.map((t) => (
                  <option key={`t:${t}`} value={t}>
                    {t}
                  </option>
                ))}
              </optgroup>
            ) : null}
            {revisions?.commits.length ? (
              <optgroup label="Recent commits">
                {revisions.commits.map((c) => (
                  <option key={`c:${c.sha}`} value={c.sha}>
                    {c.short} {c.subject.slice(0, 50)}
                  </option>
                ))}
              </optgroup>
            ) : null}
            {rev !== 'workspace' &&
            !(revisions?.branches.includes(rev) ?? false) &&
            !(revisions?.tags.includes(rev) ?? false) &&
            !(revisions?.commits.some((c) => c.sha === rev) ?? false) ? (
              <option value={rev}>{rev}</option>
            ) : null}
          </select>
        </label>
        <div className="search">
          <Icon name="search" />
          <input
            data-testid="search"
            placeholder="Search files and stages"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') focusSearch();
              if (e.key === 'Escape') setSearch('');
            }}
          />
          {searchMatches !== null ? <span className="muted">{searchMatches.size}</span> : null}
        </div>
        <div className="actions">
          {groups.size > 0 ? (
            <button type="button" data-testid="toggle-folders" onClick={toggleFolders}>
              <Icon name="folder" /> {allCollapsed ? 'Expand folders' : 'Group folders'}
            </button>
          ) : null}
          <button
            type="button"
            data-testid="toggle-metrics"
            className={showMetrics ? 'on' : ''}
            onClick={() => setShowMetrics(!showMetrics)}
          >
            <Icon name="gauge" /> Metrics
          </button>
          <button type="button" data-testid="export-svg" onClick={exportSvg}>
            <Icon name="download" /> SVG
          </button>
          <button type="button" data-testid="export-png" onClick={exportPng}>
            <Icon name="download" /> PNG
          </button>
        </div>
      </header>
      <div className="summary" data-testid="summary">
        {graph === null ? (
          <span className="muted">Loading…</span>
        ) : (
          <>
            <span>
              {counts.stage ?? 0} stages · {(counts.data ?? 0) + (counts.metric ?? 0)} outputs/data
              · {counts.code ?? 0} code files
              {counts.external ? ` · ${counts.external} external` : ''}
            </span>
            {graph.hasStatus ? (
              changed === 0 ? (
                <span className="pill ok">up to date</span>
              ) : (
                <span className="pill bad" data-testid="changed-count">
                  {changed} changed
                </span>
              )
            ) : (
              <span className="pill">at {graph.sha?.slice(0, 8) ?? graph.rev}</span>
            )}
            {live.running ? (
              <span className="pill running" data-testid="repro-running">
                repro running…
              </span>
            ) : null}
            {graph.errors.length > 0 ? (
              <span className="pill warn" title={graph.errors.join('\n')}>
                {graph.errors.length} warnings
              </span>
            ) : null}
          </>
        )}
        {error !== null ? <span className="pill bad">{error}</span> : null}
      </div>
      <main className="main">
        <div className="canvas">
          <ReactFlow<SluiceFlowNode, Edge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodeClick={onNodeClick}
            onPaneClick={() => setSelected(null)}
            nodesDraggable={false}
            nodesConnectable={false}
            edgesFocusable={false}
            onlyRenderVisibleElements={nodes.length > BIG_GRAPH}
            minZoom={0.05}
            maxZoom={2.5}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={24} color="#e2e8f0" />
            <Controls showInteractive={false} />
            {nodes.length <= BIG_GRAPH ? (
              <MiniMap
                pannable
                zoomable
                nodeColor={(n: SluiceFlowNode) => KIND_COLORS[n.data.node.kind].border}
              />
            ) : null}
          </ReactFlow>
          <Legend />
        </div>
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
                : folderKeyOf(details.node, groups)
            }
            folderCollapsed={(key) => collapsed.has(key)}
            onToggleFolder={toggleFolder}
            onFetched={() => setReloadKey((k) => k + 1)}
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

function folderKeyOf(node: GraphNode, groups: Map<string, GraphNode[]>): string | undefined {
  for (const [key, members] of groups) if (members.some((m) => m.id === node.id)) return key;
  return undefined;
}

function Legend(): JSX.Element {
  const [open, setOpen] = useState(true);
  return (
    <div className={`legend${open ? '' : ' closed'}`} data-testid="legend">
      <button type="button" className="legend-toggle" onClick={() => setOpen(!open)}>
        Legend {open ? '▾' : '▸'}
      </button>
      {open ? (
        <div className="legend-body">
          {(['data', 'stage', 'code', 'metric', 'external'] as const).map((k) => (
            <div key={k} className="legend-row">
              <span
                className="swatch"
                style={{
                  background: KIND_COLORS[k].fill,
                  borderColor: KIND_COLORS[k].border,
                  color: KIND_COLORS[k].border,
                }}
              >
                <Icon name={KIND_ICON[k]} size={12} />
              </span>
              {KIND_COLORS[k].label}
            </div>
          ))}
          <div className="legend-sep" />
          {(['git', 'cache', 'remote', 'url', 'missing'] as const).map((l) => (
            <div key={l} className="legend-row">
              <span className={`loc-${l} legend-loc`}>
                <Icon name={LOCATION_ICON[l]} size={12} />
              </span>
              {LOCATION_TEXT[l]}
            </div>
          ))}
          <div className="legend-sep" />
          <div className="legend-row">
            <span className="swatch bad-swatch" /> changed / modified / not in cache
          </div>
          <div className="legend-row">
            <span className="swatch upstream-swatch" /> upstream changed: will re-run
          </div>
          <div className="legend-row">
            <span className="swatch running-swatch" /> running now (live)
          </div>
        </div>
      ) : null}
    </div>
  );
}
