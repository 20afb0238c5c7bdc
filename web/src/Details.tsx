import { useState, type JSX, type ReactNode } from 'react';
import type { GraphNode, NodeDetails } from '../../src/ui-server/types.ts';
import { fetchFromRemote } from './api.ts';
import { Icon } from './icons.tsx';
import {
  KIND_COLORS,
  LOCATION_ICON,
  LOCATION_TEXT,
  formatSize,
  formatValue,
  nodeIcon,
} from './model.ts';

interface Props {
  details: NodeDetails;
  rev: string;
  isStatic: boolean;
  nodeById: (id: string) => GraphNode | undefined;
  onSelect: (id: string) => void;
  onClose: () => void;
  folderKey: string | undefined;
  folderCollapsed: (key: string) => boolean;
  onToggleFolder: (key: string) => void;
  /** After a file was fetched from a remote: read the graph and details again. */
  onFetched: () => void;
}

function Row({
  label,
  children,
  testid,
}: {
  label: string;
  children: ReactNode;
  testid?: string;
}): JSX.Element {
  return (
    <div className="drow">
      <div className="dlabel">{label}</div>
      <div className="dvalue" data-testid={testid}>
        {children}
      </div>
    </div>
  );
}

export function Details({
  details,
  rev,
  isStatic,
  nodeById,
  onSelect,
  onClose,
  folderKey,
  folderCollapsed,
  onToggleFolder,
  onFetched,
}: Props): JSX.Element {
  const { node } = details;
  const [fetching, setFetching] = useState<{ path: string; error?: string } | null>(null);
  const fetchFile = (path: string, remote: string): void => {
    setFetching({ path });
    fetchFromRemote(path, rev).then(
      () => {
        setFetching(null);
        onFetched();
      },
      (error: unknown) =>
        setFetching({
          path,
          error: `fetch from ${remote} failed: ${error instanceof Error ? error.message : String(error)}`,
        }),
    );
  };
  const fetchState = fetching?.path === node.path ? fetching : null;
  const c = KIND_COLORS[node.kind];
  const kindName =
    node.kind === 'stage'
      ? 'Stage'
      : node.kind === 'external'
        ? 'External source'
        : node.kind === 'folder'
          ? 'Folder'
          : node.flavor === 'params'
            ? 'Params file (git)'
            : node.kind === 'code'
              ? 'Code file (git)'
              : node.kind === 'metric'
                ? 'Metric file'
                : node.flavor === 'dir'
                  ? 'Data directory'
                  : 'Data file';
  const link = (id: string): JSX.Element => {
    const n = nodeById(id);
    return (
      <button type="button" key={id} className="linkish" onClick={() => onSelect(id)}>
        <Icon name={n === undefined ? 'workspace' : nodeIcon(n)} size={12} />{' '}
        {n?.address ?? n?.path ?? n?.label ?? id}
      </button>
    );
  };
  return (
    <aside className="details" data-testid="details" data-node={node.id}>
      <div className="dhead" style={{ borderColor: c.border }}>
        <span className="dicon" style={{ color: c.border, background: c.fill }}>
          <Icon name={nodeIcon(node)} size={18} />
        </span>
        <div>
          <div className="dtitle" data-testid="details-title">
            {node.label}
          </div>
          <div className="muted">{kindName}</div>
        </div>
        <button type="button" className="close" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="dbody">
        {node.path !== undefined ? (
          <Row label={node.kind === 'stage' ? 'File' : 'Path'} testid="details-path">
            {node.path}
          </Row>
        ) : null}
        {node.address !== undefined ? <Row label="Address">{node.address}</Row> : null}
        {node.cmd !== undefined ? (
          <Row label="Command">
            <pre className="cmd" data-testid="details-cmd">
              {node.cmd}
            </pre>
          </Row>
        ) : null}
        {node.stageFile !== undefined && node.kind !== 'stage' ? (
          <Row label="Declared in">{node.stageFile}</Row>
        ) : null}
        {node.url !== undefined ? (
          <Row label="URL">
            <a href={node.url} target="_blank" rel="noreferrer noopener">
              {node.url}
            </a>
          </Row>
        ) : null}
        {node.hash !== undefined ? (
          <Row label={node.hashName ?? 'md5'} testid="details-hash">
            <code>{node.hash}</code>
          </Row>
        ) : null}
        {node.size !== undefined ? (
          <Row label="Size" testid="details-size">
            {formatSize(node.size)} ({node.size} bytes)
          </Row>
        ) : null}
        {node.nfiles !== undefined ? <Row label="Files">{node.nfiles}</Row> : null}
        {node.location !== undefined ? (
          <Row label="Lives" testid="details-location">
            <span className={`loc-${node.location}`}>
              <Icon name={LOCATION_ICON[node.location]} size={12} />
            </span>{' '}
            {LOCATION_TEXT[node.location]}
            {node.remote !== undefined ? (
              <>
                {' '}
                (remote <b>{node.remote}</b>)
              </>
            ) : null}
          </Row>
        ) : null}
        {node.status !== undefined ? (
          <Row label="Status" testid="details-status">
            <span className={`pill ${node.status === 'ok' ? 'ok' : 'bad'}`}>
              {node.status === 'ok' ? 'up to date' : node.status}
            </span>
            {node.statusReason !== undefined ? (
              <ul className="reasons">
                {node.statusReason.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            ) : null}
          </Row>
        ) : null}
        {node.keys !== undefined ? <Row label="Keys used">{node.keys.join(', ')}</Row> : null}
        {node.metrics !== undefined ? (
          <Row label="Metrics">
            <table className="mtable small">
              <tbody>
                {Object.entries(node.metrics).map(([k, v]) => (
                  <tr key={k}>
                    <td>{k === '' ? 'value' : k}</td>
                    <td className="num">{formatValue(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Row>
        ) : null}
        {node.metricError !== undefined ? <Row label="Metric error">{node.metricError}</Row> : null}
        {folderKey !== undefined ? (
          <Row label="Folder">
            <button
              type="button"
              data-testid="toggle-this-folder"
              onClick={() => onToggleFolder(folderKey)}
            >
              {folderCollapsed(folderKey) ? 'Expand this folder' : 'Collapse this folder'}
            </button>
          </Row>
        ) : null}
        {node.members !== undefined ? <Row label="Members">{node.members.length} files</Row> : null}
        {details.download !== undefined ? (
          <Row label="Download">
            <a className="button" data-testid="download" href={details.download} download>
              <Icon name="download" /> {node.label}
            </a>
          </Row>
        ) : details.fetchFrom !== undefined && node.path !== undefined ? (
          <Row label="Download">
            <button
              type="button"
              data-testid="fetch"
              disabled={fetchState !== null && fetchState.error === undefined}
              onClick={() => fetchFile(node.path ?? '', details.fetchFrom ?? '')}
            >
              <Icon name="download" />{' '}
              {fetchState !== null && fetchState.error === undefined
                ? 'Fetching…'
                : `Fetch from remote ${details.fetchFrom}`}
            </button>
            {fetchState?.error !== undefined ? (
              <div className="muted" data-testid="fetch-error">
                {fetchState.error}
              </div>
            ) : null}
          </Row>
        ) : !isStatic &&
          (node.kind === 'data' || node.kind === 'metric') &&
          node.flavor !== 'dir' ? (
          <Row label="Download">
            <span className="muted">not in the local cache (run sluice fetch)</span>
          </Row>
        ) : null}
        {details.upstream.length > 0 ? (
          <Row label="Inputs">{details.upstream.map(link)}</Row>
        ) : null}
        {details.downstream.length > 0 ? (
          <Row label="Used by">{details.downstream.map(link)}</Row>
        ) : null}
        {details.entries !== undefined ? (
          <Row label="Contents">
            <ul className="entries">
              {details.entries.map((e) => (
                <li key={e.relpath}>
                  <a
                    href={`api/file?path=${encodeURIComponent(`${node.path ?? ''}/${e.relpath}`)}&rev=${encodeURIComponent(rev)}`}
                    download
                  >
                    {e.relpath}
                  </a>
                </li>
              ))}
            </ul>
            {details.entriesTruncated === true ? <div className="muted">…and more</div> : null}
          </Row>
        ) : null}
        {details.preview?.type === 'text' ? (
          <div className="preview" data-testid="preview">
            <div className="dlabel">
              Preview{details.preview.truncated === true ? ' (first 32 KB)' : ''}
            </div>
            <pre>{details.preview.text}</pre>
          </div>
        ) : null}
        {details.preview?.type === 'image' && details.preview.url !== undefined ? (
          <div className="preview" data-testid="preview">
            <img src={details.preview.url} alt={node.label} />
          </div>
        ) : null}
      </div>
    </aside>
  );
}
