import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo, type JSX } from 'react';
import type { GraphNode, LiveStageState } from '../../src/ui-server/types.ts';
import { Icon } from './icons.tsx';
import {
  KIND_COLORS,
  LOCATION_ICON,
  LOCATION_TEXT,
  NODE_WIDTH,
  metricLines,
  nodeHeight,
  nodeIcon,
} from './model.ts';

export interface SluiceNodeData extends Record<string, unknown> {
  node: GraphNode;
  live?: LiveStageState;
  /** dim: not matching the search or outside the selected lineage. */
  dim?: boolean;
  hl?: 'up' | 'down' | 'match' | 'selected';
}

export type SluiceFlowNode = Node<SluiceNodeData, 'sluice'>;

function SluiceNodeView({ data }: NodeProps<SluiceFlowNode>): JSX.Element {
  const { node, live, dim, hl } = data;
  const c = KIND_COLORS[node.kind];
  const status = node.status ?? 'none';
  const bad = status !== 'ok' && status !== 'none';
  const sub =
    node.kind === 'stage'
      ? (node.cmd ?? '')
      : node.kind === 'external'
        ? (node.url ?? '')
        : node.flavor === 'params' && node.keys !== undefined
          ? node.keys.join(', ')
          : (node.path ?? '');
  return (
    <div
      className={`snode kind-${node.kind}${bad ? ' bad' : ''}${dim === true ? ' dim' : ''}${hl === undefined ? '' : ` hl-${hl}`}${live === undefined ? '' : ` live-${live}`}`}
      data-testid={`node:${node.id}`}
      data-kind={node.kind}
      data-status={status}
      data-live={live ?? ''}
      title={node.path ?? node.url ?? node.label}
      style={{
        width: NODE_WIDTH,
        height: nodeHeight(node),
        background: c.fill,
        borderColor: c.border,
        color: c.text,
      }}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="snode-head">
        <span className="snode-icon" style={{ color: c.border }}>
          <Icon name={nodeIcon(node)} />
        </span>
        <span className="snode-label">{node.label}</span>
        {node.location === undefined ? null : (
          <span className={`snode-loc loc-${node.location}`}>
            <Icon
              name={LOCATION_ICON[node.location]}
              size={12}
              title={LOCATION_TEXT[node.location]}
            />
          </span>
        )}
        {live === undefined ? null : <span className={`live-badge live-${live}`}>{live}</span>}
      </div>
      <div className="snode-sub">
        {bad ? <b className="status-word">{status} · </b> : null}
        {sub}
      </div>
      {node.kind === 'metric' ? (
        <div className="snode-metrics">
          {node.metricError !== undefined ? <div className="merr">{node.metricError}</div> : null}
          {metricLines(node).map(([k, v]) => (
            <div key={k} className="mline" data-metric={k}>
              <span className="mk">{k}</span>
              <span className="mv">{v}</span>
            </div>
          ))}
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

export const SluiceNode = memo(SluiceNodeView);
