/**
 * Tables as DVC prints them: python `tabulate` with `disable_numparse=True` and `missingval="-"`,
 * in the "plain" format (metrics/params show and diff) or the "github" format (`--md`), plus the CSV
 * that `dvc exp show --csv` writes with python's `csv.writer`.
 */
import { pyStrip } from '../../core/1-base/python.js';

export type TableStyle = 'plain' | 'github';

/** A cell; `null`/`undefined` print as `-` (DVC's `missingval`). */
export type TableCell = string | null | undefined;

export interface TableOptions {
  /** Keep leading/trailing whitespace of cells (tabulate strips it by default). */
  preserveWhitespace?: boolean;
}

// tabulate adds this much to every header's width when computing a column's minimum width.
const MIN_PADDING = 2;
const MISSING = '-';

/**
 * The exact string python `tabulate(rows, headers, tablefmt=style, disable_numparse=True,
 * missingval="-")` returns: no trailing newline, every column left-aligned. In "plain" style the
 * columns are separated by two spaces and each line is right-trimmed.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
  style: TableStyle,
  opts: TableOptions = {},
): string {
  const ncols = rows.reduce((n, r) => Math.max(n, r.length), headers.length);
  if (ncols === 0) return '';
  // tabulate aligns a short header list with the last columns.
  const hdrs =
    headers.length > 0 ? [...Array<string>(ncols - headers.length).fill(''), ...headers] : [];
  const cells: string[][][] = rows.map((row) => {
    const out: string[][] = [];
    for (let i = 0; i < ncols; i++) {
      const raw = row[i];
      let text = raw === null || raw === undefined ? MISSING : raw;
      if (!opts.preserveWhitespace) text = pyStrip(text);
      out.push(text.split(/\r\n|\r|\n/));
    }
    return out;
  });

  const widths: number[] = [];
  for (let c = 0; c < ncols; c++) {
    let w = hdrs.length > 0 ? displayWidth(hdrs[c] ?? '') + MIN_PADDING : 0;
    for (const row of cells) for (const line of row[c] ?? []) w = Math.max(w, displayWidth(line));
    widths.push(w);
  }

  const lines: string[] = [];
  const renderRow = (row: string[][]): void => {
    const height = Math.max(1, ...row.map((c) => c.length));
    for (let l = 0; l < height; l++) {
      const padded = row.map((c, i) => padRight(c[l] ?? '', widths[i] ?? 0));
      lines.push(style === 'plain' ? padded.join('  ').trimEnd() : `| ${padded.join(' | ')} |`);
    }
  };
  if (hdrs.length > 0) renderRow(hdrs.map((h) => h.split(/\r\n|\r|\n/)));
  if (style === 'github') lines.push(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of cells) renderRow(row);
  return lines.join('\n');
}

/**
 * What DVC's `ui.table()` writes to stdout (tabulate's text plus a newline; `--md` tables get one
 * more newline because "md table is incomplete without the trailing newline"). A plain table with
 * no rows prints nothing.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
  opts: TableOptions & { markdown?: boolean } = {},
): string {
  if (rows.length === 0 && !opts.markdown) return '';
  const text = formatTable(headers, rows, opts.markdown ? 'github' : 'plain', opts);
  return opts.markdown ? `${text}\n\n` : `${text}\n`;
}

/**
 * python `csv.writer` with the default dialect: `,` separator, fields quoted only when they hold
 * `,`, `"`, CR or LF (quotes doubled), CRLF line endings. A row made of one empty field is `""`.
 */
export function formatCsv(
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
): string {
  return [headers, ...rows].map((row) => csvRow(row)).join('');
}

function csvRow(row: readonly TableCell[]): string {
  if (row.length === 1 && (row[0] ?? '') === '') return '""\r\n';
  const fields = row.map((cell) => {
    const text = cell ?? '';
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  });
  return `${fields.join(',')}\r\n`;
}

function padRight(s: string, width: number): string {
  const pad = width - displayWidth(s);
  return pad > 0 ? s + ' '.repeat(pad) : s;
}

/** Terminal columns taken by `s` (an approximation of python's `wcwidth.wcswidth`). */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue;
    if (ZERO_WIDTH.test(ch)) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff]$/u;

// East Asian Wide/Fullwidth ranges and wide emoji (condensed from wcwidth's tables).
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x23f0, 0x23f0],
  [0x23f3, 0x23f3],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x267f, 0x267f],
  [0x2693, 0x2693],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26ce, 0x26ce],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f3],
  [0x26f5, 0x26f5],
  [0x26fa, 0x26fa],
  [0x26fd, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x274e, 0x274e],
  [0x2753, 0x2755],
  [0x2757, 0x2757],
  [0x2795, 0x2797],
  [0x27b0, 0x27b0],
  [0x27bf, 0x27bf],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b50],
  [0x2b55, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18aff],
  [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f202],
  [0x1f210, 0x1f23b],
  [0x1f240, 0x1f248],
  [0x1f250, 0x1f251],
  [0x1f260, 0x1f265],
  [0x1f300, 0x1f320],
  [0x1f32d, 0x1f335],
  [0x1f337, 0x1f37c],
  [0x1f37e, 0x1f393],
  [0x1f3a0, 0x1f3ca],
  [0x1f3cf, 0x1f3d3],
  [0x1f3e0, 0x1f3f0],
  [0x1f3f4, 0x1f3f4],
  [0x1f3f8, 0x1f43e],
  [0x1f440, 0x1f440],
  [0x1f442, 0x1f4fc],
  [0x1f4ff, 0x1f53d],
  [0x1f54b, 0x1f54e],
  [0x1f550, 0x1f567],
  [0x1f57a, 0x1f57a],
  [0x1f595, 0x1f596],
  [0x1f5a4, 0x1f5a4],
  [0x1f5fb, 0x1f64f],
  [0x1f680, 0x1f6c5],
  [0x1f6cc, 0x1f6cc],
  [0x1f6d0, 0x1f6d2],
  [0x1f6d5, 0x1f6d7],
  [0x1f6dc, 0x1f6df],
  [0x1f6eb, 0x1f6ec],
  [0x1f6f4, 0x1f6fc],
  [0x1f7e0, 0x1f7eb],
  [0x1f7f0, 0x1f7f0],
  [0x1f90c, 0x1f93a],
  [0x1f93c, 0x1f945],
  [0x1f947, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  let lo = 0;
  let hi = WIDE_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const range = WIDE_RANGES[mid];
    if (range === undefined) return false;
    if (cp < range[0]) hi = mid - 1;
    else if (cp > range[1]) lo = mid + 1;
    else return true;
  }
  return false;
}
