import { useState, type JSX } from 'react';
import { Icon } from './icons.tsx';
import { KIND_COLORS, KIND_ICON, LOCATION_ICON, LOCATION_TEXT } from './model.ts';

/** What the colours, icons and marks of the nodes mean; folds away. */
export function Legend(): JSX.Element {
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
