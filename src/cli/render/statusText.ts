/**
 * Text output of `dvc status`, `dvc status -c`, `dvc diff`, `dvc checkout` and the pull/push/fetch
 * summaries, byte for byte as DVC 3.x prints them. Every function returns the whole stdout text,
 * each line ending with a newline, or `''` when DVC prints nothing.
 */

import { compareCodePoints } from '../../core/1-base/python.js';
import { formatTable } from './table.js';

/** One entry of a stage's `dvc status` list. */
export type StatusItem =
  | string
  | {
      'changed deps'?: Record<string, string | Record<string, string>>;
      'changed outs'?: Record<string, string>;
    };

type StatusTree =
  string | readonly StatusTree[] | { readonly [key: string]: StatusTree | undefined };

const STATUS_LEN = 20;
const INDENT = '\t';

/**
 * `dvc status` text: `stage:` lines, nested keys one TAB deeper, leaves as `status:` padded to 20
 * columns then the path. Empty lists/maps are skipped. An empty result renders as `''`; the caller
 * prints "Data and pipelines are up to date." (or the empty-project message) itself.
 */
export function renderStatus(result: Record<string, StatusItem[]>): string {
  const lines: string[] = [];
  showStatus(result, 0, lines);
  return joinLines(lines);
}

/**
 * `dvc status -c` text: one `<TAB>status:<pad>path` line per object. An empty result renders as
 * `''`; the caller prints "Cache and remote 'NAME' are in sync.".
 */
export function renderCloudStatus(result: Record<string, 'new' | 'deleted' | 'missing'>): string {
  const lines: string[] = [];
  showStatus(result, 1, lines);
  return joinLines(lines);
}

// Mirrors CmdDataStatus._show.
function showStatus(status: StatusTree, indent: number, lines: string[]): void {
  const ind = INDENT.repeat(indent);
  if (typeof status === 'string') {
    lines.push(ind + status);
    return;
  }
  if (isList(status)) {
    for (const entry of status) showStatus(entry, indent, lines);
    return;
  }
  for (const [key, value] of Object.entries(status)) {
    if (value === undefined) continue;
    if (typeof value === 'string') {
      lines.push(`${ind}${padStatus(value)}${key}`);
    } else if (isList(value) ? value.length > 0 : Object.keys(value).length > 0) {
      lines.push(`${ind}${key}:`);
      showStatus(value, indent + 1, lines);
    }
  }
}

function isList(v: StatusTree): v is readonly StatusTree[] {
  return Array.isArray(v);
}

function padStatus(word: string): string {
  const s = `${word}:`;
  return s.length >= STATUS_LEN ? `${s} ` : s + ' '.repeat(STATUS_LEN - s.length);
}

/** One `dvc diff` entry: `path`/`hash` are `{old, new}` pairs for renamed/modified entries. */
export interface DataDiffEntry {
  path: string | { old: string; new: string };
  /** null: an output declared in dvc.yaml with no hash in dvc.lock. */
  hash?: string | null | { old: string | null; new: string | null } | undefined;
}

export interface DataDiff {
  added: DataDiffEntry[];
  deleted: DataDiffEntry[];
  modified: DataDiffEntry[];
  renamed: DataDiffEntry[];
  'not in cache': DataDiffEntry[];
}

export interface DataDiffTextOptions {
  /** `--show-hash`: print the first 8 hash characters (or `old8..new8`) before each path. */
  showHash: boolean;
  /** `--hide-missing`, also implied when B_REV is given: drop the "not in cache" group. */
  hideMissing: boolean;
}

type DiffState = keyof DataDiff;

function diffStates(hideMissing: boolean): DiffState[] {
  const states: DiffState[] = ['added', 'deleted', 'renamed', 'modified'];
  if (!hideMissing) states.push('not in cache');
  return states;
}

/**
 * `dvc diff` text: per non-empty group a capitalised header, 4-space-indented paths and a blank
 * line, then `files summary: 1 added, 2 modified` counting non-directory entries. Entries are
 * sorted by (old) path as `dvc diff` does. Returns `''` when nothing differs.
 */
export function renderDataDiff(diff: DataDiff, opts: DataDiffTextOptions): string {
  const lines: string[] = [];
  const summary: Array<[DiffState, number]> = [];
  for (const state of diffStates(opts.hideMissing)) {
    const entries = sortDiffEntries(diff[state] ?? []);
    let count = 0;
    if (entries.length > 0) {
      lines.push(`${capitalize(state)}:`);
      for (const entry of entries) {
        const path = diffPath(entry);
        // DVC compares with os.sep; Sluice paths are always posix.
        if (!path.endsWith('/')) count++;
        const hash = opts.showHash && entry.hash ? digest(entry.hash) : '';
        lines.push(`    ${hash}${hash ? '  ' : ''}${path}`);
      }
      lines.push('');
    }
    summary.push([state, count]);
  }
  const parts = summary.filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`);
  if (parts.length > 0) lines.push(`files summary: ${parts.join(', ')}`);
  return joinLines(lines);
}

/**
 * `dvc diff --md`: a GitHub table with the columns Status, [Hash,] Path, followed by a blank line.
 * Printed even when nothing differs (headers only).
 */
export function renderDataDiffMarkdown(diff: DataDiff, opts: DataDiffTextOptions): string {
  const headers = opts.showHash ? ['Status', 'Hash', 'Path'] : ['Status', 'Path'];
  const rows: string[][] = [];
  for (const state of diffStates(opts.hideMissing)) {
    for (const entry of sortDiffEntries(diff[state] ?? [])) {
      const path = diffPath(entry);
      rows.push(opts.showHash ? [state, digest(entry.hash ?? ''), path] : [state, path]);
    }
  }
  return `${formatTable(headers, rows, 'github')}\n\n`;
}

function diffPath(entry: DataDiffEntry): string {
  return typeof entry.path === 'string' ? entry.path : `${entry.path.old} -> ${entry.path.new}`;
}

function sortDiffEntries(entries: readonly DataDiffEntry[]): DataDiffEntry[] {
  const key = (e: DataDiffEntry): string => (typeof e.path === 'string' ? e.path : e.path.old);
  return [...entries].sort((a, b) => compareCodePoints(key(a), key(b)));
}

function digest(hash: string | null | { old: string | null; new: string | null }): string {
  if (hash === null) return '';
  return typeof hash === 'string'
    ? hash.slice(0, 8)
    : `${(hash.old ?? '').slice(0, 8)}..${(hash.new ?? '').slice(0, 8)}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

export interface CheckoutChanges {
  modified: string[];
  added: string[];
  deleted: string[];
}

/**
 * `dvc checkout` (and `dvc pull`) change lines: `M`, `A` or `D`, the TAB expanded to 8 columns,
 * the path. Groups in the order modified, added, deleted; in each, directories (ending `/`) first,
 * then files, each sorted.
 */
export function renderCheckoutLines(changes: CheckoutChanges): string {
  const lines: string[] = [];
  for (const state of ['modified', 'added', 'deleted'] as const) {
    const sorted = [...changes[state]].sort((a, b) => {
      const da = a.endsWith('/');
      const db = b.endsWith('/');
      if (da !== db) return da ? -1 : 1;
      return compareCodePoints(a, b);
    });
    for (const path of sorted) lines.push(`${state[0]?.toUpperCase() ?? ''}       ${path}`);
  }
  return joinLines(lines);
}

export interface ChangeCounts {
  pushed?: number;
  fetched?: number;
  modified?: number;
  added?: number;
  deleted?: number;
}

/**
 * DVC's `get_summary` wording, in the order pushed, fetched, modified, added, deleted, zero counts
 * left out: "6 files fetched, 1 file modified and 3 files added". Without any change it returns
 * `ifEmpty` ("No changes." for checkout; push/pull/fetch use "Everything is up to date.").
 * No trailing newline.
 */
export function summarizeChanges(counts: ChangeCounts, ifEmpty = 'No changes.'): string {
  const words: string[] = [];
  for (const state of ['pushed', 'fetched', 'modified', 'added', 'deleted'] as const) {
    const n = counts[state];
    if (n) words.push(`${n} file${n > 1 ? 's' : ''} ${state}`);
  }
  if (words.length === 0) return ifEmpty;
  if (words.length === 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1] ?? ''}`;
}

function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
