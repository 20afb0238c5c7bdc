import type { JSX } from 'react';
import { Icon } from './icons.tsx';
import type { Search } from './useSearch.ts';

/** The search field: Enter brings the matches into view, Escape clears it. */
export function SearchBox({ search }: { search: Search }): JSX.Element {
  return (
    <div className="search">
      <Icon name="search" />
      <input
        data-testid="search"
        placeholder="Search files and stages"
        value={search.search}
        onChange={(e) => search.setSearch(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') search.focus();
          if (e.key === 'Escape') search.setSearch('');
        }}
      />
      {search.matches !== null ? <span className="muted">{search.matches.size}</span> : null}
    </div>
  );
}
