/**
 * The dvc.yaml entry of a NEW stage, as `dvc stage add` writes it (dvc/stage/serialize.py
 * `to_pipeline_file`). Key order: desc, cmd, wdir, deps, params, outs, metrics, plots, frozen,
 * always_changed, meta; empty values are omitted.
 */
import { compareCodePoints } from '../1-base/python.js';
import { DEFAULT_PARAMS_FILE, type OutDecl, type ParamsDep } from './dvcYaml.js';

export interface SerializeStageInput {
  cmd: string | string[];
  wdir?: string;
  deps: string[];
  params: ParamsDep[];
  outs: OutDecl[];
  frozen?: boolean;
  alwaysChanged?: boolean;
  desc?: string;
  meta?: unknown;
}

function outFlags(out: OutDecl): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  // Annotations are dropped when empty (funcy `compact`).
  if (out.desc !== undefined && out.desc !== '') flags.desc = out.desc;
  if (out.type !== undefined && out.type !== '') flags.type = out.type;
  if (out.labels !== undefined && out.labels.length > 0) flags.labels = out.labels;
  if (isTruthy(out.meta)) flags.meta = out.meta;
  if (!out.cache) flags.cache = false;
  if (out.persist) flags.persist = true;
  if (out.kind === 'plot' && out.plotProps !== undefined) Object.assign(flags, out.plotProps);
  if (out.remote !== undefined && out.remote !== '') flags.remote = out.remote;
  if (!out.push) flags.push = false;
  return flags;
}

function isTruthy(v: unknown): boolean {
  if (v === undefined || v == null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function serializeOut(out: OutDecl): unknown {
  const flags = outFlags(out);
  return Object.keys(flags).length === 0 ? out.path : { [out.path]: flags };
}

/** `['lr', 'train', {'params2.yaml': ['lr']}, {'params3.yaml': null}]`. */
export function serializeParamsKeys(params: ParamsDep[]): unknown[] {
  let keys: unknown[] = [];
  const sorted = [...params].sort((a, b) => compareCodePoints(a.file, b.file));
  for (const dep of sorted) {
    const k = [...(dep.keys ?? [])].sort(compareCodePoints);
    if (k.length > 0 && dep.file === DEFAULT_PARAMS_FILE) keys = [...k, ...keys];
    else keys.push({ [dep.file]: k.length > 0 ? k : null });
  }
  return keys;
}

export function serializeStage(input: SerializeStageInput): Record<string, unknown> {
  const deps = [...input.deps].sort(compareCodePoints);
  const outs: unknown[] = [];
  const metrics: unknown[] = [];
  const plots: unknown[] = [];
  for (const out of [...input.outs].sort((a, b) => compareCodePoints(a.path, b.path))) {
    const bucket = out.kind === 'plot' ? plots : out.kind === 'metric' ? metrics : outs;
    bucket.push(serializeOut(out));
  }
  const cmdEmpty = Array.isArray(input.cmd) ? input.cmd.length === 0 : input.cmd === '';
  if (cmdEmpty) throw new Error("'cmd' cannot be empty");
  const wdir =
    input.wdir === undefined || input.wdir === '.' || input.wdir === '' ? undefined : input.wdir;
  const entries: [string, unknown][] = [
    ['desc', input.desc],
    ['cmd', input.cmd],
    ['wdir', wdir],
    ['deps', deps],
    ['params', serializeParamsKeys(input.params)],
    ['outs', outs],
    ['metrics', metrics],
    ['plots', plots],
    ['frozen', input.frozen === true ? true : undefined],
    ['always_changed', input.alwaysChanged === true ? true : undefined],
    ['meta', input.meta],
  ];
  const result: Record<string, unknown> = {};
  for (const [k, v] of entries) if (isTruthy(v)) result[k] = v;
  return result;
}
