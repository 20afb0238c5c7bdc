import { posix } from 'node:path';
import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import { filesInFolder, readTrackedFile, errorOf, type FileError } from './collectMetrics.js';
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
  /** A Vega-Lite drawing of data files, or image files shown as they are. */
  kind: 'vega' | 'image';
  /** The revisions that have data for it, in order. */
  revisions: string[];
  /** The Vega-Lite spec ({} for images); `data.values` are DVC's data points. */
  spec: Record<string, unknown>;
  /** The image at each revision that has it (images only). */
  images: Array<{ rev: string; content: Buffer }>;
  errors: Array<{ rev: string; file: string; error: FileError }>;
}

/** The files DVC shows as images rather than drawing (the extension is matched as written). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.gif', '.png', '.svg']);

export function isImageFile(path: string): boolean {
  return IMAGE_EXTENSIONS.has(posix.extname(path));
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

/** A CSV/TSV file as DVC reads it (Python's csv.DictReader): every value a string. */
function parseSeparated(text: string, sep: string): Row[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const header = (lines[0] ?? '').split(sep);
  return lines
    .slice(1)
    .filter((l) => l !== '')
    .map((line) => {
      const cells = line.split(sep);
      return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? null]));
    });
}

/** The lists of a parsed file that may hold data points: the file itself, or its mappings' lists. */
function* listsOf(blob: unknown): Generator<unknown[]> {
  if (Array.isArray(blob)) {
    yield blob;
    return;
  }
  if (!isPlainObject(blob)) return;
  for (const value of Object.values(blob)) {
    if (isPlainObject(value)) yield* listsOf(value);
    else if (Array.isArray(value)) yield value;
  }
}

/** A list of mappings that all have the same keys: data points. */
function isDatapoints(list: unknown[]): list is Row[] {
  if (list.length === 0 || !list.every(isPlainObject)) return false;
  const first = Object.keys(list[0]);
  const all = new Set(list.flatMap((r) => Object.keys(r as Row)));
  return all.size === first.length && first.every((k) => all.has(k));
}

/**
 * The data points of a plot data file, as DVC finds them: CSV/TSV rows (values as strings), or
 * every list of like mappings in a JSON/YAML file, merged by position.
 */
export function parsePlotData(file: string, content: Buffer): Row[] {
  const ext = posix.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') {
    return parseSeparated(content.toString('utf8'), ext === '.csv' ? ',' : '\t');
  }
  const rows: Row[] = [];
  for (const list of listsOf(loadStructuredFile(file, content))) {
    if (!isDatapoints(list)) continue;
    list.forEach((point, i) => {
      rows[i] ??= {};
      for (const [k, v] of Object.entries(point)) rows[i][k] = plain(v);
    });
  }
  return rows;
}

const INDEX = 'step';
const INFERRED_X = 'dvc_inferred_x_value';
const INFERRED_Y = 'dvc_inferred_y_value';

/** Python's os.path.commonpath of POSIX paths: their longest common leading folders. */
function commonPath(paths: string[]): string {
  const split = paths.map((p) => p.split('/'));
  const first = split[0] ?? [];
  const n = Math.min(...split.map((s) => s.length));
  const common: string[] = [];
  for (let i = 0; i < n && split.every((s) => s[i] === first[i]); i++) common.push(first[i]);
  return common.join('/');
}

/** What the data points of one plot at one revision came to, and the fields they are drawn by. */
interface Flattened {
  rows: Row[];
  x: string;
  y: string;
  /** How series are told apart beyond the revision: 'filename', 'field', both joined, or none. */
  series: string | undefined;
}

/**
 * DVC's data points of a plot at one revision, from the data of its files: x taken from the
 * named field (or the row's index, `step`), a single y field (or `dvc_inferred_y_value` when the
 * files' fields differ), each row marked with its revision and, when the plot draws several
 * sources, with the file and field it came from (the ones that vary).
 */
function flatten(
  def: PlotDefinition,
  rev: string,
  data: Map<string, Row[]>,
): Flattened | undefined {
  const ys: Array<[string, string]> = [];
  const xs: Array<[string, string]> = [];
  for (const source of def.sources) {
    const points = data.get(source.file);
    let fields = source.y;
    if (fields === undefined) {
      // DVC infers y only for a plot drawn from its own file: the last field of its data.
      const last = points?.[0] === undefined ? undefined : Object.keys(points[0]).at(-1);
      fields = last === undefined ? [] : [last];
    }
    for (const field of fields) {
      ys.push([source.file, field]);
      if (source.x !== undefined) xs.push([source.file, source.x]);
    }
  }
  const [xFile, xField] = xs[0] ?? [undefined, INDEX];
  const manyX = xs.length > 1 && new Set(xs.map(([, f]) => f)).size > 1;
  const yFields = new Set(ys.map(([, f]) => f));
  const yFiles = new Set(ys.map(([f]) => f));
  const y = yFields.size > 1 ? INFERRED_Y : (ys[0]?.[1] ?? '');
  const prefix = yFiles.size > 1 ? commonPath([...yFiles]).length : 0;
  const short = (file: string): string => file.slice(prefix).replace(/^\/+|\/+$/g, '');
  const rows: Row[] = [];
  ys.forEach(([yFile, yField], i) => {
    const [thisXFile, thisXField] = xs.length > 1 ? xs[i] : [xFile, xField];
    const points = (data.get(yFile) ?? []).map((p) => ({ ...p }));
    if (y === INFERRED_Y) for (const p of points) if (yField in p) p[INFERRED_Y] = p[yField];
    if (thisXFile === undefined) {
      points.forEach((p, index) => (p[INDEX] = index));
    } else {
      const source = data.get(thisXFile) ?? [];
      if (source.length !== points.length) {
        throw new SluiceError(
          'FAILED',
          `Cannot join '${thisXField}' from '${thisXFile}' and '${yField}' from '${yFile}'. They have to have same length.`,
        );
      }
      const target = manyX ? INFERRED_X : thisXField;
      points.forEach((p, index) => {
        const from = source[index];
        if (thisXField in from) p[target] = from[thisXField];
      });
    }
    for (const p of points) Object.assign(p, { rev, filename: short(yFile), field: yField });
    rows.push(...points);
  });
  // As DVC's renderer: only what varies between the sources stays to tell series apart.
  let series: string | undefined;
  const varied = ['filename', 'field'].filter((key, k) => {
    if (ys.length <= 1) return false;
    const values = new Set(ys.map(([file, field]) => (k === 0 ? short(file) : field)));
    return values.size > 1;
  });
  for (const p of rows) {
    if (varied.length === 2) {
      p['filename::field'] = `${String(p.filename)}::${String(p.field)}`;
      delete p.filename;
      delete p.field;
      series = 'filename::field';
    } else {
      for (const key of ['filename', 'field']) if (!varied.includes(key)) delete p[key];
      series = varied[0];
    }
  }
  return rows.length === 0 ? undefined : { rows, x: manyX ? INFERRED_X : xField, y, series };
}

/** Sluice's Vega-Lite drawing of DVC's data points (the templates' axes, not their styling). */
function specFor(
  def: PlotDefinition,
  revisions: string[],
  flat: Flattened,
  labels: { x: string; y: string },
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: flat.rows },
    title: { text: def.title ?? def.id, anchor: 'middle' },
    width: 300,
    height: 300,
  };
  const xTitle = def.xLabel ?? labels.x;
  const yTitle = def.yLabel ?? labels.y;
  const color = { color: { field: 'rev', type: 'nominal', scale: { domain: revisions } } };
  const series = flat.series === undefined ? {} : { strokeDash: { field: flat.series } };
  if (def.template.startsWith('confusion')) {
    const normalized = def.template === 'confusion_normalized';
    return {
      ...base,
      transform: [
        { aggregate: [{ op: 'count', as: 'xy_count' }], groupby: ['rev', flat.y, flat.x] },
        ...(normalized
          ? [
              {
                joinaggregate: [{ op: 'sum', field: 'xy_count', as: 'sum_y' }],
                groupby: ['rev', flat.y],
              },
              { calculate: 'datum.xy_count / datum.sum_y', as: 'xy_count' },
            ]
          : []),
      ],
      mark: { type: 'rect', tooltip: true },
      encoding: {
        x: { field: flat.x, type: 'nominal', title: xTitle },
        y: { field: flat.y, type: 'nominal', title: yTitle },
        color: { field: 'xy_count', type: 'quantitative' },
        ...(revisions.length > 1 ? { column: { field: 'rev', type: 'nominal' } } : {}),
      },
    };
  }
  if (def.template.startsWith('bar_horizontal')) {
    // As DVC's template: the value (x) along the horizontal axis, the categories (y) down it.
    return {
      ...base,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: flat.x, type: 'quantitative', title: xTitle, scale: { zero: false } },
        y: {
          field: flat.y,
          type: 'nominal',
          title: yTitle,
          ...(def.template === 'bar_horizontal_sorted' ? { sort: '-x' } : {}),
        },
        yOffset: { field: 'rev' },
        ...color,
      },
    };
  }
  const mark =
    def.template === 'scatter'
      ? { type: 'point', tooltip: true }
      : { type: 'line', point: def.template !== 'smooth', tooltip: true };
  return {
    ...base,
    ...(def.template === 'smooth'
      ? {
          transform: [
            {
              loess: flat.y,
              on: flat.x,
              groupby: ['rev', ...(flat.series === undefined ? [] : [flat.series])],
              bandwidth: 0.3,
            },
          ],
        }
      : {}),
    mark,
    encoding: {
      x: { field: flat.x, type: 'quantitative', title: xTitle },
      y: { field: flat.y, type: 'quantitative', title: yTitle, scale: { zero: false } },
      ...color,
      ...series,
    },
  };
}

/** DVC's axis titles: the labels given, else the field (or `x`/`y` when several). */
function axisLabels(def: PlotDefinition): { x: string; y: string } {
  const xs = new Set(def.sources.flatMap((s) => (s.x === undefined ? [] : [s.x])));
  const ys = new Set(def.sources.flatMap((s) => s.y ?? []));
  return {
    x: xs.size === 0 ? INDEX : xs.size === 1 ? [...xs][0] : 'x',
    y: ys.size === 1 ? [...ys][0] : ys.size === 0 ? '' : 'y',
  };
}

export interface PlotsOptions {
  /** Revision names; empty = the workspace only. The workspace comes first, as in DVC. */
  revs?: string[];
  /** Repo-relative plot ids or files to restrict to. */
  targets?: string[];
}

/**
 * A plot drawn from a folder (a path entry, or a target) becomes one plot per file in it, at
 * any of the revisions, sorted, as DVC expands it.
 */
async function expandFolders(
  defs: PlotDefinition[],
  revisions: Revision[],
  metas: RevisionMeta[],
): Promise<PlotDefinition[]> {
  const out: PlotDefinition[] = [];
  for (const def of defs) {
    const only = def.sources.length === 1 ? def.sources[0] : undefined;
    if (only === undefined || only.file !== def.id) {
      out.push(def);
      continue;
    }
    const files = new Set<string>();
    let folder = false;
    for (const [i, rev] of revisions.entries()) {
      const under = await filesInFolder(rev, metas[i], only.file);
      if (under === null) continue;
      folder = true;
      for (const f of under) files.add(f);
    }
    if (!folder) {
      out.push(def);
      continue;
    }
    for (const file of [...files].sort()) {
      out.push({ ...def, id: file, sources: [{ ...only, file }] });
    }
  }
  return out;
}

/** Builds the plots of every definition at the given revisions, as DVC collects them. */
export async function buildPlots(repo: Repo, opts: PlotsOptions = {}): Promise<PlotResult[]> {
  const names = opts.revs ?? [];
  const ordered = names.includes('workspace')
    ? ['workspace', ...names.filter((n) => n !== 'workspace')]
    : names;
  const revisions: Revision[] =
    ordered.length === 0
      ? [new WorkspaceRevision(repo, 'workspace')]
      : await Promise.all(ordered.map((r) => revisionNamed(repo, r)));
  try {
    const metas = await Promise.all(revisions.map((r) => r.meta()));
    // Definitions of the last revision win, as DVC takes them from the newest one.
    const byId = new Map<string, PlotDefinition>();
    for (const meta of metas) for (const def of plotDefinitions(meta)) byId.set(def.id, def);
    let defs = [...byId.values()];
    const targets = opts.targets ?? [];
    if (targets.length > 0) {
      // A target names a plot by its id; any other path is drawn as a data file of its own.
      const named = defs.filter((d) => targets.includes(d.id));
      for (const t of targets) {
        if (!named.some((d) => d.id === t)) {
          named.push({
            id: t,
            sources: [{ file: t, y: undefined, x: undefined }],
            template: 'linear',
          });
        }
      }
      defs = named;
    }
    defs = await expandFolders(defs, revisions, metas);
    const results: PlotResult[] = [];
    for (const def of defs) {
      const errors: PlotResult['errors'] = [];
      if (def.sources.length === 1 && isImageFile(def.sources[0].file)) {
        const file = def.sources[0].file;
        const images: PlotResult['images'] = [];
        for (const [i, rev] of revisions.entries()) {
          try {
            images.push({
              rev: rev.name,
              content: await readTrackedFile(rev, metas[i], file),
            });
          } catch (error) {
            errors.push({ rev: rev.name, file, error: errorOf(error) });
          }
        }
        const revs = images.map((i) => i.rev);
        results.push({ id: def.id, kind: 'image', revisions: revs, spec: {}, images, errors });
        continue;
      }
      let rows: Row[] = [];
      let last: Flattened | undefined;
      for (const [i, rev] of revisions.entries()) {
        const data = new Map<string, Row[]>();
        for (const source of def.sources) {
          if (data.has(source.file)) continue;
          try {
            const content = await readTrackedFile(rev, metas[i], source.file);
            data.set(source.file, parsePlotData(source.file, content));
          } catch (error) {
            errors.push({ rev: rev.name, file: source.file, error: errorOf(error) });
          }
        }
        let flat: Flattened | undefined;
        try {
          flat = flatten(def, rev.name, data);
        } catch (error) {
          errors.push({ rev: rev.name, file: def.id, error: errorOf(error) });
        }
        if (flat === undefined) continue;
        rows = [...rows, ...flat.rows];
        last = flat;
      }
      const revs = [...new Set(rows.map((r) => String(r.rev)))];
      results.push({
        id: def.id,
        kind: 'vega',
        revisions: revs,
        spec: last === undefined ? {} : specFor(def, revs, { ...last, rows }, axisLabels(def)),
        images: [],
        errors,
      });
    }
    return results;
  } finally {
    await repo.git?.close();
  }
}
