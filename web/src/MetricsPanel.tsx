import { useEffect, useMemo, useState, type JSX } from 'react';
import type { MetricsPayload, RevisionsPayload } from '../../src/ui-server/types.ts';
import { fetchMetrics, staticData } from './api.ts';
import { formatValue } from './model.ts';

interface Props {
  revisions: RevisionsPayload | null;
  currentRev: string;
  onClose: () => void;
}

function defaultRevs(revisions: RevisionsPayload | null, current: string): string[] {
  const revs = ['workspace'];
  if (current !== 'workspace') revs.push(current);
  if (revisions !== null) {
    for (const b of revisions.branches) revs.push(b);
    for (const t of revisions.tags) revs.push(t);
  }
  return [...new Set(revs)].slice(0, 6);
}

/** Metrics across revisions, like `metrics show -a` with `metrics diff` deltas. */
export function MetricsPanel({ revisions, currentRev, onClose }: Props): JSX.Element {
  const [revs, setRevs] = useState<string[]>(() => defaultRevs(revisions, currentRev));
  const [data, setData] = useState<MetricsPayload | null>(null);
  const [onlyChanged, setOnlyChanged] = useState(false);
  const [adding, setAdding] = useState('');

  useEffect(() => {
    if (revisions !== null && revs.length === 1) setRevs(defaultRevs(revisions, currentRev));
  }, [revisions]);

  useEffect(() => {
    let cancelled = false;
    fetchMetrics(revs).then(
      (d) => !cancelled && setData(d),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [revs]);

  const shownRevs = staticData !== undefined ? (data?.revs ?? []) : revs;
  const rows = useMemo(() => {
    const out: Array<{
      file: string;
      name: string;
      values: Array<string | number | boolean | null | undefined>;
      changed: boolean;
    }> = [];
    for (const [file, metrics] of Object.entries(data?.files ?? {})) {
      for (const [name, byRev] of Object.entries(metrics)) {
        const values = shownRevs.map((r) => byRev[r]);
        const changed = new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1;
        out.push({ file, name, values, changed });
      }
    }
    return out;
  }, [data, shownRevs]);
  const options = [
    ...(revisions?.branches ?? []),
    ...(revisions?.tags ?? []),
    ...(revisions?.commits.map((c) => c.sha) ?? []),
  ].filter((r) => !revs.includes(r));

  return (
    <section className="metrics-panel" data-testid="metrics-panel">
      <div className="mp-head">
        <b>Metrics across revisions</b>
        <label>
          <input
            type="checkbox"
            checked={onlyChanged}
            onChange={(e) => setOnlyChanged(e.target.checked)}
          />{' '}
          only differences
        </label>
        {staticData === undefined ? (
          <select
            value={adding}
            onChange={(e) => {
              const r = e.target.value;
              setAdding('');
              if (r !== '') setRevs([...revs, r]);
            }}
          >
            <option value="">+ add revision</option>
            {options.map((r) => {
              const commit = revisions?.commits.find((c) => c.sha === r);
              return (
                <option key={r} value={r}>
                  {commit === undefined ? r : `${commit.short} ${commit.subject.slice(0, 40)}`}
                </option>
              );
            })}
          </select>
        ) : null}
        <span className="grow" />
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="mp-body">
        <table className="mtable" data-testid="metrics-table">
          <thead>
            <tr>
              <th>File</th>
              <th>Metric</th>
              {shownRevs.map((r, i) => (
                <th key={r} className="num">
                  {r.length > 12 ? r.slice(0, 8) : r}
                  {staticData === undefined && revs.length > 1 ? (
                    <button
                      type="button"
                      className="x"
                      title="remove"
                      onClick={() => setRevs(revs.filter((x) => x !== r))}
                    >
                      ×
                    </button>
                  ) : null}
                  {i > 0 ? <div className="muted small">Δ vs {shownRevs[0]}</div> : null}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows
              .filter((r) => !onlyChanged || r.changed)
              .map((r) => (
                <tr key={`${r.file}|${r.name}`} className={r.changed ? 'changed' : ''}>
                  <td>{r.file}</td>
                  <td>{r.name === '' ? 'value' : r.name}</td>
                  {r.values.map((v, i) => {
                    const base = r.values[0];
                    const delta =
                      i > 0 && typeof v === 'number' && typeof base === 'number'
                        ? v - base
                        : undefined;
                    return (
                      <td key={shownRevs[i]} className="num">
                        {formatValue(v)}
                        {delta !== undefined && delta !== 0 ? (
                          <span className={`delta ${delta > 0 ? 'up' : 'down'}`}>
                            {delta > 0 ? '+' : ''}
                            {formatValue(Number(delta.toPrecision(4)))}
                          </span>
                        ) : null}
                      </td>
                    );
                  })}
                </tr>
              ))}
          </tbody>
        </table>
        {rows.length === 0 ? <div className="muted">No metrics in these revisions.</div> : null}
        {data !== null && data.errors.length > 0 ? (
          <div className="muted small">{data.errors.join(' · ')}</div>
        ) : null}
      </div>
    </section>
  );
}
