import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  type Edge,
  type NodeMouseHandler,
} from '@xyflow/react';
import { useCallback, type JSX } from 'react';
import { Legend } from './Legend.tsx';
import { KIND_COLORS } from './model.ts';
import { SluiceNode, type SluiceFlowNode } from './SluiceNode.tsx';
import { BIG_GRAPH } from './useViewport.ts';

const nodeTypes = { sluice: SluiceNode };

/** The graph itself (React Flow, with controls and, for small graphs, a minimap) and its legend. */
export function PipelineCanvas(props: {
  nodes: SluiceFlowNode[];
  edges: Edge[];
  onSelect: (id: string | null) => void;
}): JSX.Element {
  const { nodes, onSelect } = props;
  const onNodeClick: NodeMouseHandler<SluiceFlowNode> = useCallback(
    (_e, n) => onSelect(n.id),
    [onSelect],
  );
  return (
    <div className="canvas">
      <ReactFlow<SluiceFlowNode, Edge>
        nodes={nodes}
        edges={props.edges}
        nodeTypes={nodeTypes}
        onNodeClick={onNodeClick}
        onPaneClick={() => onSelect(null)}
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
  );
}
