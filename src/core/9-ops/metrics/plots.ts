import { posix } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import { readTrackedFile, errorOf, type FileError } from './collectMetrics.js';
import { isPlainObject, loadStructuredFile } from '../../7-metafiles/metricsFile.js';
import {
  revisionNamed,
  WorkspaceRevision,
  type Revision,
  type RevisionMeta,
} from '../../8-revisions/revision.js';
import { PyFloat } from '../../1-base/python.js';

/**
 * Plots: definitions from dvc.yaml (top-level `plots:` and per-stage plot outputs with
 * x/y/template), data files read at each revision, and Vega-Lite specs built from templates.
 */

export const TEMPLATES = [
  'linear',
  'simple',
  'smooth',
  'scatter',
  'bar_horizontal',
  'bar_horizontal_sorted',
  'confusion',
  'confusion_normalized',
] as const;

export interface PlotDefinition {
  id: string;
  /** Data files, repo-relative, with the y field(s) to draw from each. */
  sources: Array<{ file: string; y: string[] | undefined; x: string | undefined }>;
  template: string;
  title?: string;
  xLabel?: string;
  yLabel?: string;
}

export interface PlotResult {
  id: string;
  spec: Record<string, unknown>;
  errors: Array<{ rev: string; file: string; error: FileError }>;
}

function strList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The plot definitions of a revision. */
export function plotDefinitions(meta: RevisionMeta): PlotDefinition[] {
  const defs: PlotDefinition[] = [];
  for (const top of meta.topPlots) {
    const entries: Array<[string, unknown]> =
      typeof top.entry === 'string'
        ? [[top.entry, null]]
        : isPlainObject(top.entry)
          ? Object.entries(top.entry)
          : [];
    for (const [key, raw] of entries) {
      const props = isPlainObject(raw) ? raw : {};
      const join = (p: string): string => posix.normalize(top.dir === '' ? p : `${top.dir}/${p}`);
      const x = props.x;
      const y = props.y;
      let sources: PlotDefinition['sources'];
      if (isPlainObject(y)) {
        sources = Object.entries(y).map(([file, fields]) => ({
          file: join(file),
          y: strList(fields),
          x: isPlainObject(x) ? str(x[file]) : str(x),
        }));
      } else {
        sources = [{ file: join(key), y: strList(y), x: isPlainObject(x) ? undefined : str(x) }];
      }
      defs.push({
        id: typeof top.entry === 'string' ? join(key) : key,
        sources,
        template: str(props.template) ?? 'linear',
        ...(str(props.title) === undefined ? {} : { title: str(props.title) }),
        ...(str(props.x_label) === undefined ? {} : { xLabel: str(props.x_label) }),
        ...(str(props.y_label) === undefined ? {} : { yLabel: str(props.y_label) }),
      });
    }
  }
  for (const out of meta.outs) {
    if (out.kind !== 'plot') continue;
    const props = out.plotProps ?? {};
    defs.push({
      id: out.path,
      sources: [{ file: out.path, y: strList(props.y), x: str(props.x) }],
      template: str(props.template) ?? 'linear',
      ...(str(props.title) === undefined ? {} : { title: str(props.title) }),
      ...(str(props.x_label) === undefined ? {} : { xLabel: str(props.x_label) }),
      ...(str(props.y_label) === undefined ? {} : { yLabel: str(props.y_label) }),
    });
  }
  return defs;
}

type Row = Record<string, unknown>;

function plain(v: unknown): unknown {
  return v instanceof PyFloat ? v.value : v;
}

/** Rows of a plot data file: JSON/YAML list of records (or a mapping holding one), CSV/TSV. */
export function parsePlotData(file: string, content: Buffer): Row[] {
  const ext = posix.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') {
    const sep = ext === '.csv' ? ',' : '\t';
    const lines = content
      .toString('utf8')
      .split(/\r?\n/)
      .filter((l) => l !== '');
    const header = (lines[0] ?? '').split(sep);
    return lines.slice(1).map((line) => {
      const cells = line.split(sep);
      return Object.fromEntries(
        header.map((h, i) => {
          const c = cells[i] ?? '';
          return [h, c.trim() !== '' && !Number.isNaN(Number(c)) ? Number(c) : c];
        }),
      );
    });
  }
  const data = loadStructuredFile(file, content);
  const list = Array.isArray(data)
    ? data
    : isPlainObject(data)
      ? ((Object.values(data).find((v) => Array.isArray(v)) as unknown[] | undefined) ?? [data])
      : [];
  return list
    .filter(isPlainObject)
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
}

function specFor(
  def: PlotDefinition,
  rows: Row[],
  fields: { x: string; y: string[] },
): Record<string, unknown> {
  const multiRev = new Set(rows.map((r) => r.rev)).size > 1;
  const multiSeries = multiRev || fields.y.length > 1 || def.sources.length > 1;
  const base: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: def.title ?? def.id,
    width: 400,
    height: 300,
    data: { values: rows },
  };
  const xTitle = def.xLabel ?? fields.x;
  const yTitle = def.yLabel ?? (fields.y.length === 1 ? fields.y[0] : 'value');
  if (def.template.startsWith('confusion')) {
    const [actual, predicted] = [fields.x, fields.y[0] ?? 'predicted'];
    const normalized = def.template === 'confusion_normalized';
    // One heat map per revision (a `column` facet when comparing revisions).
    return {
      ...base,
      transform: [
        { aggregate: [{ op: 'count', as: 'count' }], groupby: ['rev', actual, predicted] },
        ...(normalized
          ? [
              {
                joinaggregate: [{ op: 'sum', field: 'count', as: 'total' }],
                groupby: ['rev', actual],
              },
              { calculate: 'datum.count / datum.total', as: 'count' },
            ]
          : []),
      ],
      mark: { type: 'rect', tooltip: true },
      encoding: {
        x: { field: predicted, type: 'nominal', title: def.yLabel ?? predicted },
        y: { field: actual, type: 'nominal', title: def.xLabel ?? actual },
        color: { field: 'count', type: 'quantitative' },
        ...(multiRev ? { column: { field: 'rev', type: 'nominal' } } : {}),
      },
    };
  }
  const folded =
    fields.y.length > 1 || def.sources.length > 1
      ? [{ fold: fields.y, as: ['field', 'value'] }]
      : [];
  const yField = folded.length > 0 ? 'value' : (fields.y[0] ?? 'value');
  const color = multiSeries
    ? {
        color: {
          field: folded.length > 0 ? 'series' : 'rev',
          type: 'nominal',
        },
      }
    : {};
  const transform = [
    ...folded,
    ...(folded.length > 0 ? [{ calculate: "datum.rev + ' ' + datum.field", as: 'series' }] : []),
  ];
  if (def.template.startsWith('bar_horizontal')) {
    return {
      ...base,
      transform,
      mark: 'bar',
      encoding: {
        y: {
          field: fields.x,
          type: 'nominal',
          title: xTitle,
          ...(def.template === 'bar_horizontal_sorted' ? { sort: '-x' } : {}),
        },
        x: { field: yField, type: 'quantitative', title: yTitle },
        ...color,
        ...(multiRev ? { yOffset: { field: 'rev' } } : {}),
      },
    };
  }
  const mark =
    def.template === 'scatter'
      ? { type: 'point', tooltip: true }
      : { type: 'line', point: def.template !== 'smooth', tooltip: true };
  return {
    ...base,
    transform: [
      ...transform,
      ...(def.template === 'smooth'
        ? [{ loess: yField, on: fields.x, groupby: multiSeries ? ['rev'] : [], bandwidth: 0.3 }]
        : []),
    ],
    mark,
    encoding: {
      x: { field: fields.x, type: 'quantitative', title: xTitle },
      y: { field: yField, type: 'quantitative', title: yTitle, scale: { zero: false } },
      ...color,
    },
  };
}

export interface PlotsOptions {
  /** Revision names; empty = the workspace only. */
  revs?: string[];
  /** Repo-relative plot ids or files to restrict to. */
  targets?: string[];
}

/** Builds the Vega-Lite specs of every plot at the given revisions. */
export async function buildPlots(repo: Repo, opts: PlotsOptions = {}): Promise<PlotResult[]> {
  const revisions: Revision[] =
    (opts.revs ?? []).length === 0
      ? [new WorkspaceRevision(repo, 'workspace')]
      : await Promise.all((opts.revs ?? []).map((r) => revisionNamed(repo, r)));
  try {
    const metas = await Promise.all(revisions.map((r) => r.meta()));
    // Definitions of the last revision win, as DVC takes them from the newest one.
    const byId = new Map<string, PlotDefinition>();
    for (const meta of metas) for (const def of plotDefinitions(meta)) byId.set(def.id, def);
    let defs = [...byId.values()];
    const targets = opts.targets ?? [];
    if (targets.length > 0) {
      defs = defs.filter(
        (d) => targets.includes(d.id) || d.sources.some((s) => targets.includes(s.file)),
      );
      for (const t of targets) {
        if (!defs.some((d) => d.id === t || d.sources.some((s) => s.file === t))) {
          defs.push({
            id: t,
            sources: [{ file: t, y: undefined, x: undefined }],
            template: 'linear',
          });
        }
      }
    }
    if (defs.length === 0) {
      throw new SluiceError('NOT_FOUND', 'no plots were loaded', {
        hint: 'declare plots in dvc.yaml (`plots:`) or name a data file',
      });
    }
    const results: PlotResult[] = [];
    for (const def of defs) {
      const rows: Row[] = [];
      const errors: PlotResult['errors'] = [];
      let x: string | undefined;
      let y: string[] | undefined;
      for (const [i, rev] of revisions.entries()) {
        const meta = metas[i];
        for (const source of def.sources) {
          let data: Row[];
          try {
            data = parsePlotData(source.file, await readTrackedFile(rev, meta, source.file));
          } catch (error) {
            errors.push({ rev: rev.name, file: source.file, error: errorOf(error) });
            continue;
          }
          const first = data[0] ?? {};
          const keys = Object.keys(first);
          const sx = source.x ?? x ?? (def.template.startsWith('confusion') ? keys[0] : 'step');
          const sy =
            source.y ??
            (def.template.startsWith('confusion')
              ? [keys[1] ?? '']
              : [keys.filter((k) => k !== sx).at(-1) ?? '']);
          x ??= sx;
          y = [...new Set([...(y ?? []), ...sy])];
          data.forEach((row, step) => {
            rows.push({
              ...(sx === 'step' && !('step' in row) ? { step } : {}),
              ...row,
              rev: rev.name,
              filename: source.file,
            });
          });
        }
      }
      results.push({
        id: def.id,
        spec: specFor(def, rows, { x: x ?? 'step', y: y ?? [] }),
        errors,
      });
    }
    return results;
  } finally {
    await repo.git?.close();
  }
}
