import type { JSX } from 'react';

/** Inline SVG icons (no icon font, no network). 16×16, stroke = currentColor. */
const PATHS: Record<string, string> = {
  terminal: 'M2 3h12v10H2z M4.5 6l2 2-2 2 M8 10.5h3.5',
  database:
    'M3 4c0-1.1 2.2-2 5-2s5 .9 5 2v8c0 1.1-2.2 2-5 2s-5-.9-5-2z M3 4c0 1.1 2.2 2 5 2s5-.9 5-2 M3 8c0 1.1 2.2 2 5 2s5-.9 5-2',
  code: 'M5.5 4.5 2 8l3.5 3.5 M10.5 4.5 14 8l-3.5 3.5 M9 3l-2 10',
  gauge: 'M2.5 11a5.5 5.5 0 1 1 11 0 M8 11l2.5-3.5 M2.5 13h11',
  globe:
    'M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2z M2 8h12 M8 2c1.8 1.6 2.6 3.6 2.6 6S9.8 12.4 8 14 M8 2C6.2 3.6 5.4 5.6 5.4 8S6.2 12.4 8 14',
  folder: 'M2 4.5V12.5h12v-6.5H7.5L6 4.5z',
  git: 'M8 2.5v11 M8 5.5a1.5 1.5 0 1 0 0-.01 M4.5 9.5a1.5 1.5 0 1 0 0-.01 M11.5 9.5a1.5 1.5 0 1 0 0-.01 M8 8l-3.5 1.5 M8 8l3.5 1.5',
  cache: 'M2.5 4.5h11v7h-11z M4.5 9h.01 M6.5 9h.01',
  cloud: 'M4.5 12.5a3 3 0 0 1-.4-6A4 4 0 0 1 11.8 6a3.2 3.2 0 0 1-.3 6.5z',
  link: 'M7 9a2.5 2.5 0 0 0 3.5 0l2-2a2.5 2.5 0 0 0-3.5-3.5l-1 1 M9 7a2.5 2.5 0 0 0-3.5 0l-2 2A2.5 2.5 0 0 0 7 12.5l1-1',
  missing: 'M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2z M4 4l8 8',
  workspace: 'M3 2.5h6.5L13 6v7.5H3z M9.5 2.5V6H13',
  params: 'M3 4h10 M3 8h10 M3 12h10 M6 2.8v2.4 M10 6.8v2.4 M5 10.8v2.4',
  chart: 'M2.5 13.5h11 M4 11V8 M7 11V4 M10 11V6.5 M13 11V9',
  download: 'M8 2.5v8 M4.5 7.5 8 11l3.5-3.5 M2.5 13.5h11',
  search: 'M7 2.5a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9z M10.5 10.5 14 14',
};

export function Icon({
  name,
  size = 14,
  title,
}: {
  name: string;
  size?: number;
  title?: string;
}): JSX.Element {
  return (
    <svg
      className={`icon icon-${name}`}
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.4}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={title === undefined}
      role={title === undefined ? undefined : 'img'}
    >
      {title === undefined ? null : <title>{title}</title>}
      <path d={PATHS[name] ?? ''} />
    </svg>
  );
}

export const ICON_PATHS = PATHS;
