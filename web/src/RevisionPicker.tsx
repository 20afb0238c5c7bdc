import type { JSX } from 'react';
import type { RevisionsPayload } from '../../src/ui-server/types.ts';
import { staticData } from './api.ts';

/** The revision select: the workspace, branches, tags, recent commits (fixed on an export). */
export function RevisionPicker(props: {
  rev: string;
  revisions: RevisionsPayload | null;
  onChange: (rev: string) => void;
}): JSX.Element {
  const { rev, revisions } = props;
  return (
    <label className="revpick">
      <span className="muted">Revision</span>
      <select
        data-testid="rev-select"
        value={rev}
        disabled={staticData !== undefined}
        onChange={(e) => props.onChange(e.target.value)}
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
  );
}
