import { useMemo, type JSX } from 'react';
import type { GraphPayload } from '../../src/ui-server/types.ts';

/** The line under the top bar: what the graph holds, whether it is up to date, warnings. */
export function Summary(props: {
  graph: GraphPayload | null;
  running: boolean;
  error: string | null;
}): JSX.Element {
  const { graph } = props;
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const n of graph?.nodes ?? []) c[n.kind] = (c[n.kind] ?? 0) + 1;
    return c;
  }, [graph]);
  const changed = (graph?.nodes ?? []).filter(
    (n) => n.status !== undefined && n.status !== 'ok',
  ).length;
  return (
    <div className="summary" data-testid="summary">
      {graph === null ? (
        <span className="muted">Loading…</span>
      ) : (
        <>
          <span>
            {counts.stage ?? 0} stages · {(counts.data ?? 0) + (counts.metric ?? 0)} outputs/data ·{' '}
            {counts.code ?? 0} code files
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
          {props.running ? (
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
      {props.error !== null ? <span className="pill bad">{props.error}</span> : null}
    </div>
  );
}
