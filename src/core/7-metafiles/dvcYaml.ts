/**
 * Loads a dvc.yaml: strict schema validation (as dvc/schema.py, with voluptuous-like messages),
 * templating, foreach/matrix expansion, and conversion into stage definitions.
 */
import { posix } from 'node:path';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { ParseCache } from '../2-fs/parseCache.js';
import { DvcFileError, SluiceError } from '../1-base/errors.js';
import { NESTING_TOO_DEEP, yamlDocumentProblem, yamlNestingTooDeep } from './yaml/limits.js';
import {
  checkSyntax,
  Context,
  foreachIterations,
  iterationCount,
  hasInterpolation,
  InterpolationError,
  isPlainDict,
  matrixIterations,
  toStr,
  type Iteration,
  type LoadFile,
  type ParsingConfig,
  type PlainDict,
} from './interpolate.js';
import { expandAliases, parseParamsFile, yamlNodeToValue } from './paramsFile.js';
import { NO_OBSERVER, readEnv, type ReadObserver } from '../2-fs/readObserver.js';

export interface ParamsDep {
  file: string;
  /** null = the whole file is tracked. */
  keys: string[] | null;
}

export interface OutDecl {
  path: string;
  kind: 'out' | 'metric' | 'plot';
  cache: boolean;
  persist: boolean;
  remote?: string;
  push: boolean;
  desc?: string;
  type?: string;
  labels?: string[];
  meta?: unknown;
  plotProps?: Record<string, unknown>;
}

export interface StageDefinition {
  /** `train`, or `build@us` for a generated stage. */
  name: string;
  cmd: string | string[];
  /** Relative to the dvc.yaml dir; `.` by default. */
  wdir: string;
  deps: string[];
  params: ParamsDep[];
  outs: OutDecl[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  meta?: unknown;
  /** From foreach/matrix or with `${...}` anywhere in its definition: it cannot be dumped back. */
  generated: boolean;
  /** Line of the stage key (1-based). */
  line: number;
}

export interface DvcYamlDefinition {
  /** In file order; foreach/matrix groups expanded in place. */
  stages: StageDefinition[];
  metrics: string[];
  plots: unknown[];
  params: string[];
  artifacts?: unknown;
}

export interface LoadDvcYamlOptions {
  /** Repo-relative path of the dvc.yaml, for messages. */
  file: string;
  /** Reads a file relative to the dvc.yaml dir (params/vars files); undefined if missing. */
  readFile: (relPath: string) => string | undefined;
  /** `parsing` section of the config. */
  parsing?: ParsingConfig;
  /** Where the parsed text may be remembered between runs. */
  parseCache?: ParseCache;
  /** The most stages the file may expand to; SLUICE_MAX_STAGES or DEFAULT_MAX_STAGES if unset. */
  maxStages?: number;
  /** Told when SLUICE_MAX_STAGES is read (see readObserver.ts). */
  observer?: ReadObserver;
}

/**
 * The most stages one dvc.yaml may expand to with `foreach` and `matrix`: ten times the largest
 * expansion the benchmarks use (a 1,000-item foreach). A 10,000-item foreach takes `status`
 * about 0.4 s and 100 MB here, 100,000 items 4 s and 350 MB; a matrix of 8 axes of 10 values
 * (10^8 stages) would take gigabytes and never end. DVC has no cap. It is an environment
 * variable, not a config key: DVC refuses a key it does not know in `.dvc/config` ("extra keys
 * not allowed"), and with it the whole repository.
 */
export const DEFAULT_MAX_STAGES = 10_000;
export const MAX_STAGES_VARIABLE = 'SLUICE_MAX_STAGES';

/** The cap on stages from SLUICE_MAX_STAGES, or the default. */
export function maxStagesFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  observer: ReadObserver = NO_OBSERVER,
): number {
  const raw = readEnv(observer, MAX_STAGES_VARIABLE, env);
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_STAGES;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SluiceError(
      'CONFIG',
      `${MAX_STAGES_VARIABLE} must be a positive whole number, got '${raw}'`,
    );
  }
  return value;
}

export const DEFAULT_PARAMS_FILE = 'params.yaml';

// ---------------------------------------------------------------------------------------------
// Schema validation over YAML nodes, so that errors carry positions.

interface Pos {
  line: number;
  column: number;
}

type PathSeg = string | number;

class SchemaError extends Error {
  constructor(
    readonly reason: string,
    readonly path: PathSeg[],
    readonly pos: Pos | undefined,
  ) {
    super(reason);
  }
}

/**
 * `at` is where an error about a scalar is reported: like DVC (ruamel line/col info), the start of
 * the innermost enclosing collection, nothing for the top level. A bad collection is reported at
 * its own start.
 */
type Validator = (node: unknown, path: PathSeg[], at: Pos | undefined) => void;

let lineCounter = new LineCounter();

function startPos(node: unknown): Pos | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (range === undefined) return undefined;
  const lp = lineCounter.linePos(range[0]);
  return { line: lp.line, column: lp.col };
}

function posOf(node: unknown, at: Pos | undefined): Pos | undefined {
  return isMap(node) || isSeq(node) ? (startPos(node) ?? at) : at;
}

function scalarValue(node: unknown): unknown {
  if (node == null || node === undefined) return null;
  return isScalar(node) ? node.value : undefined;
}

const strV: Validator = (n, p, at) => {
  if (typeof scalarValue(n) !== 'string') throw new SchemaError('expected str', p, posOf(n, at));
};
const boolV: Validator = (n, p, at) => {
  if (typeof scalarValue(n) !== 'boolean') throw new SchemaError('expected bool', p, posOf(n, at));
};
const anyV: Validator = () => {};
const dictV: Validator = (n, p, at) => {
  if (!isMap(n)) throw new SchemaError('expected dict', p, posOf(n, at));
};
const listTypeV: Validator = (n, p, at) => {
  if (!isSeq(n)) throw new SchemaError('expected list', p, posOf(n, at));
};
const noneV: Validator = (n, p, at) => {
  const isNone = n == null || (isScalar(n) && n.value == null);
  if (!isNone) throw new SchemaError('expected None', p, posOf(n, at));
};

function depth(e: SchemaError): number {
  return e.path.length;
}

/** `vol.Any`: the error of the alternative that went deepest (the first one on a tie). */
function anyOf(...validators: Validator[]): Validator {
  return (n, p, at) => {
    let best: SchemaError | undefined;
    for (const v of validators) {
      try {
        v(n, p, at);
        return;
      } catch (error) {
        if (!(error instanceof SchemaError)) throw error;
        if (best === undefined || depth(error) > depth(best)) best = error;
      }
    }
    if (best !== undefined) throw best;
  };
}

/** `[v1, v2]`: each item must match one of the validators (voluptuous reports the last error). */
function listOf(...validators: Validator[]): Validator {
  return (n, p, at) => {
    if (!isSeq(n)) throw new SchemaError('expected a list', p, posOf(n, at));
    n.items.forEach((item, i) => {
      let last: SchemaError | undefined;
      for (const v of validators) {
        try {
          v(item, [...p, i], startPos(n) ?? at);
          return;
        } catch (error) {
          if (!(error instanceof SchemaError)) throw error;
          if (last === undefined || depth(error) >= depth(last)) last = error;
        }
      }
      if (last !== undefined) throw last;
    });
  };
}

function pairKey(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function pairs(n: YAMLMap): Pair[] {
  return n.items.filter((x): x is Pair => isPair(x));
}

/** A mapping with known keys; unknown keys are "extra keys not allowed". */
function mapOf(fields: Record<string, Validator>, required: string[] = []): Validator {
  return (n, p, at) => {
    if (!isMap(n)) throw new SchemaError('expected a dictionary', p, posOf(n, at));
    const seen = new Set<string>();
    for (const pair of pairs(n)) {
      const k = pairKey(pair);
      const kPos = p.length === 0 ? undefined : startPos(n);
      const key = String(k);
      seen.add(key);
      const v = typeof k === 'string' && Object.hasOwn(fields, k) ? fields[k] : undefined;
      if (v === undefined) throw new SchemaError('extra keys not allowed', [...p, key], kPos);
      v(pair.value, [...p, key], kPos);
    }
    for (const r of required) {
      if (!seen.has(r)) {
        throw new SchemaError(
          'required key not provided',
          [...p, r],
          p.length === 0 ? undefined : startPos(n),
        );
      }
    }
  };
}

/** `{str: v}`. */
function dictOf(valueV: Validator): Validator {
  return (n, p, at) => {
    if (!isMap(n)) throw new SchemaError('expected a dictionary', p, posOf(n, at));
    for (const pair of pairs(n)) {
      const k = pairKey(pair);
      const kPos = p.length === 0 ? undefined : startPos(n);
      if (typeof k !== 'string') throw new SchemaError('expected str', [...p, String(k)], kPos);
      valueV(pair.value, [...p, k], kPos);
    }
  };
}

const ANNOTATION_FIELDS: Record<string, Validator> = {
  desc: strV,
  type: strV,
  labels: listOf(strV),
  meta: anyV,
};
const OUT_FLAGS: Record<string, Validator> = {
  ...ANNOTATION_FIELDS,
  cache: boolV,
  persist: boolV,
  checkpoint: boolV,
  remote: strV,
  push: boolV,
};
export const PLOT_PROP_KEYS = ['template', 'x', 'y', 'x_label', 'y_label', 'title', 'header'];
const PLOT_PROPS: Record<string, Validator> = {
  template: strV,
  x: strV,
  y: strV,
  x_label: strV,
  y_label: strV,
  title: strV,
  header: boolV,
};
const outEntryV = anyOf(strV, dictOf(mapOf(OUT_FLAGS)));
const plotFlagsV = mapOf({ ...OUT_FLAGS, ...PLOT_PROPS });
const plotEntryV = anyOf(strV, dictOf(anyOf(plotFlagsV, listOf(plotFlagsV))));

const STAGE_FIELDS: Record<string, Validator> = {
  matrix: dictOf(anyOf(strV, listTypeV)),
  cmd: anyOf(strV, listTypeV),
  wdir: strV,
  deps: listOf(strV),
  params: listOf(anyOf(strV, dictV)),
  vars: listOf(strV, dictV),
  frozen: boolV,
  meta: anyV,
  desc: strV,
  always_changed: boolV,
  outs: listOf(outEntryV),
  metrics: listOf(outEntryV),
  plots: listOf(plotEntryV),
};
const stageDefinitionV = mapOf(STAGE_FIELDS, ['cmd']);
const foreachV = mapOf({ foreach: anyOf(dictV, listTypeV, strV), do: stageDefinitionV }, [
  'foreach',
  'do',
]);
const stageV: Validator = (n, p, at) => {
  const keys = isMap(n) ? pairs(n).map(pairKey) : [];
  if (keys.includes('foreach') || keys.includes('do')) foreachV(n, p, at);
  else stageDefinitionV(n, p, at);
};

const plotDefinitionV = mapOf({
  x: anyOf(strV, dictOf(strV)),
  y: anyOf(strV, listOf(strV), dictOf(anyOf(strV, listOf(strV)))),
  x_label: strV,
  y_label: strV,
  title: strV,
  template: strV,
});
const topV = mapOf({
  datasets: anyV,
  plots: listOf(anyOf(strV, dictOf(anyOf(plotDefinitionV, noneV)))),
  stages: dictOf(stageV),
  vars: listOf(strV, dictV),
  params: listOf(strV),
  metrics: listOf(strV),
  artifacts: dictOf(mapOf({ path: strV, ...ANNOTATION_FIELDS }, ['path'])),
});

// ---------------------------------------------------------------------------------------------
// YAML preprocessing

const MERGE_KEY = '<<';

/** Applies `<<: *anchor` merge keys in place (explicit keys win). */
function applyMergeKeys(node: unknown, seen = new Set<unknown>()): void {
  if (seen.has(node)) return;
  seen.add(node);
  if (isMap(node)) {
    const own = pairs(node).filter((p) => pairKey(p) !== MERGE_KEY);
    const merged: Pair[] = [];
    for (const p of pairs(node)) {
      if (pairKey(p) !== MERGE_KEY) continue;
      const sources = isSeq(p.value) ? p.value.items : [p.value];
      for (const s of sources) {
        if (!isMap(s)) continue;
        applyMergeKeys(s, seen);
        for (const sp of pairs(s)) {
          const k = pairKey(sp);
          if (!own.some((o) => pairKey(o) === k) && !merged.some((o) => pairKey(o) === k))
            merged.push(sp);
        }
      }
    }
    if (merged.length > 0 || own.length !== node.items.length) node.items = [...own, ...merged];
    for (const p of node.items) if (isPair(p)) applyMergeKeys(p.value, seen);
  } else if (isSeq(node)) {
    for (const i of node.items) applyMergeKeys(i, seen);
  }
}

function checkDuplicateKeys(node: unknown, path: PathSeg[], seen = new Set<unknown>()): void {
  if (seen.has(node)) return;
  seen.add(node);
  if (isMap(node)) {
    const keys = new Set<string>();
    for (const p of pairs(node)) {
      const k = String(pairKey(p));
      if (keys.has(k)) {
        const isStage = path.length === 1 && path[0] === 'stages';
        throw new SchemaError(
          isStage ? `duplicate stage name '${k}'` : `found duplicate key '${k}'`,
          [...path, k],
          startPos(p.key),
        );
      }
      keys.add(k);
      checkDuplicateKeys(p.value, [...path, k], seen);
    }
  } else if (isSeq(node)) {
    node.items.forEach((i, idx) => {
      checkDuplicateKeys(i, [...path, idx], seen);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

function fail(file: string, reason: string, pos?: { line: number; column?: number }): never {
  throw new DvcFileError(file, reason, pos);
}

function keyLines(map: unknown): Map<string, number> {
  const out = new Map<string, number>();
  if (!isMap(map)) return out;
  for (const p of pairs(map)) out.set(String(pairKey(p)), startPos(p.key)?.line ?? 0);
  return out;
}

function mapChild(map: unknown, key: string): unknown {
  if (!isMap(map)) return undefined;
  return pairs(map).find((p) => pairKey(p) === key)?.value;
}

const RESERVED_NAME_CHARS = ['@', ':'];

/** What `dvc stage add -n` accepts: no punctuation other than `-` and `_`. */
export function isValidStageName(name: string): boolean {
  return name !== '' && !/[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/.test(name);
}

/** What the YAML layer yields: plain data plus the lines that messages point at. */
export interface ParsedDvcYaml {
  data: PlainDict;
  /** Line of each stage's key. */
  stageLines: Record<string, number>;
  /** Per stage: the line of each of its fields. */
  fieldLines: Record<string, Record<string, number>>;
}

/**
 * Parses and validates the text of a dvc.yaml. A pure function of the text, so its result may be
 * cached by content (see ParseCache); nothing here depends on params files or the config.
 */
export function parseDvcYaml(text: string, file: string): ParsedDvcYaml {
  lineCounter = new LineCounter();
  const lc = lineCounter;
  let doc: Document;
  if (yamlNestingTooDeep(text)) fail(file, NESTING_TOO_DEEP);
  try {
    doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
  } catch (error) {
    fail(file, error instanceof Error ? error.message : String(error));
  }
  const yamlErr = doc.errors[0];
  if (yamlErr !== undefined) {
    const lp = lc.linePos(yamlErr.pos[0]);
    fail(file, yamlErr.message.split('\n')[0] ?? 'invalid YAML', { line: lp.line, column: lp.col });
  }
  const bounded = yamlDocumentProblem(doc);
  if (bounded !== undefined) fail(file, bounded);

  try {
    if (doc.contents != null && !(isScalar(doc.contents) && doc.contents.value == null)) {
      if (hasAlias(doc.contents)) expandAliases(doc.contents, doc);
      applyMergeKeys(doc.contents);
      checkDuplicateKeys(doc.contents, []);
      topV(doc.contents, [], undefined);
    }
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    const where = error.path.length > 0 ? `, in ${error.path.join(' -> ')}` : '';
    fail(file, `${error.reason}${where}`, error.pos);
  }

  const root = doc.contents;
  const data = (isMap(root) ? yamlNodeToValue(root) : {}) as PlainDict;
  const stagesNode = mapChild(root, 'stages');
  const stageLines = keyLines(stagesNode);
  const fieldLines: Record<string, Record<string, number>> = {};
  for (const name of stageLines.keys()) {
    fieldLines[name] = Object.fromEntries(keyLines(mapChild(stagesNode, name)));
  }
  return { data, stageLines: Object.fromEntries(stageLines), fieldLines };
}

export function loadDvcYaml(text: string, opts: LoadDvcYamlOptions): DvcYamlDefinition {
  const { file } = opts;
  const parsed =
    opts.parseCache === undefined
      ? parseDvcYaml(text, file)
      : opts.parseCache.get('dvc.yaml', text, () => parseDvcYaml(text, file));
  const { data } = parsed;
  const stageLines = new Map(Object.entries(parsed.stageLines));

  const loadFile: LoadFile = (relPath) => {
    const content = opts.readFile(relPath);
    if (content === undefined) throw new InterpolationError(`'${relPath}' does not exist`);
    let tree: PlainDict;
    try {
      tree = parseParamsFile(relPath, content);
    } catch (error) {
      if (error instanceof SluiceError) throw new InterpolationError(error.message);
      throw error;
    }
    return tree;
  };
  const exists = (relPath: string): boolean => opts.readFile(relPath) !== undefined;

  const parseFail = (where: string, error: unknown, line?: number): never => {
    if (error instanceof InterpolationError) {
      fail(
        file,
        `failed to parse ${where}: ${error.message}`,
        line === undefined ? undefined : { line, column: 1 },
      );
    }
    throw error;
  };

  const topVars = Array.isArray(data.vars) ? (data.vars as unknown[]) : [];
  if (hasInterpolation(topVars)) fail(file, `failed to parse 'vars': interpolating is not allowed`);
  const context = new Context();
  try {
    context.loadFromVars(topVars, '.', loadFile, { defaultFile: DEFAULT_PARAMS_FILE, exists });
  } catch (error) {
    parseFail(`'vars'`, error);
  }

  const stages: StageDefinition[] = [];
  const stagesData = isPlainDict(data.stages) ? data.stages : {};
  let maxStages = opts.maxStages;
  for (const [name, rawDef] of Object.entries(stagesData)) {
    const line = stageLines.get(name) ?? 0;
    const badChar = RESERVED_NAME_CHARS.find((c) => name.includes(c));
    if (badChar !== undefined || name === '') {
      fail(
        file,
        name === ''
          ? 'empty stage name'
          : `stage name '${name}' must not contain '${badChar ?? ''}'`,
        { line, column: 3 },
      );
    }
    const def = rawDef as PlainDict;
    const fieldLines = new Map(Object.entries(parsed.fieldLines[name] ?? {}));
    if (Object.hasOwn(def, 'matrix') || Object.hasOwn(def, 'foreach')) {
      const isMatrix = Object.hasOwn(def, 'matrix');
      const kw = isMatrix ? 'matrix' : 'foreach';
      let template: PlainDict;
      if (isMatrix) {
        template = { ...def };
        delete template.matrix;
      } else {
        template = def.do as PlainDict;
      }
      try {
        checkSyntax(template);
      } catch (error) {
        parseFail(`'stages.${name}'`, error, line);
      }
      let iterations: Iteration[] = [];
      try {
        const resolved = context.resolve(def[kw], null, opts.parsing);
        // Counted before expanding: 8 axes of 10 values would not fit in memory.
        const count = iterationCount(resolved, isMatrix) ?? 0;
        maxStages ??= maxStagesFromEnvironment(process.env, opts.observer);
        if (stages.length + count > maxStages) {
          const total = stages.length + count;
          fail(
            file,
            `stage '${name}' expands to ${count.toLocaleString('en-US')} stages with '${kw}', ` +
              `${total === count ? '' : `${total.toLocaleString('en-US')} in the file, `}` +
              `more than the ${maxStages.toLocaleString('en-US')} one dvc.yaml may have; ` +
              `set ${MAX_STAGES_VARIABLE} to raise the cap`,
            { line, column: 3 },
          );
        }
        if (isMatrix) {
          if (!isPlainDict(resolved)) throw new InterpolationError('expected a dictionary');
          iterations = matrixIterations(resolved);
        } else {
          iterations = foreachIterations(resolved);
        }
      } catch (error) {
        parseFail(`'stages.${name}.${kw}'`, error, fieldLines.get(kw) ?? line);
      }
      for (const it of iterations) {
        const genName = `${name}@${it.key}`;
        context.withTemporary(it.values, () => {
          stages.push(
            resolveStage(genName, template, context, {
              file,
              line,
              generated: true,
              loadFile,
              parsing: opts.parsing,
              fieldLines,
              fail: parseFail,
            }),
          );
        });
      }
    } else {
      try {
        checkSyntax(def);
      } catch (error) {
        parseFail(`'stages.${name}'`, error, line);
      }
      stages.push(
        resolveStage(name, def, context, {
          file,
          line,
          generated: hasInterpolation(def),
          loadFile,
          parsing: opts.parsing,
          fieldLines,
          fail: parseFail,
        }),
      );
    }
  }

  const resolveTop = (kw: string): unknown[] => {
    const list = Array.isArray(data[kw]) ? (data[kw] as unknown[]) : [];
    return list.map((item, i) => {
      try {
        checkSyntax(item);
        return context.resolve(item, null, opts.parsing);
      } catch (error) {
        return parseFail(`'${kw}.${i}'`, error);
      }
    });
  };
  const result: DvcYamlDefinition = {
    stages,
    metrics: resolveTop('metrics').map((m) => toStr(m)),
    plots: resolveTop('plots'),
    params: resolveTop('params').map((m) => toStr(m)),
  };
  if (isPlainDict(data.artifacts)) {
    const artifacts: PlainDict = {};
    for (const [name, def] of Object.entries(data.artifacts)) {
      try {
        checkSyntax(name);
        const resolvedName = context.resolve(name, null, opts.parsing);
        if (typeof resolvedName !== 'string') {
          throw new InterpolationError(`expected str, got ${typeof resolvedName}`);
        }
        checkSyntax(def);
        artifacts[resolvedName] = context.resolve(def, null, opts.parsing);
      } catch (error) {
        parseFail(`'artifacts.${name}'`, error);
      }
    }
    result.artifacts = artifacts;
  }
  return result;
}

function hasAlias(node: unknown, seen = new Set<unknown>()): boolean {
  if (seen.has(node)) return false;
  seen.add(node);
  if (isAlias(node)) return true;
  if (isMap(node)) return pairs(node).some((p) => hasAlias(p.key, seen) || hasAlias(p.value, seen));
  if (isSeq(node)) return node.items.some((i) => hasAlias(i, seen));
  return false;
}

interface ResolveOpts {
  file: string;
  line: number;
  generated: boolean;
  loadFile: LoadFile;
  parsing: ParsingConfig | undefined;
  fieldLines: Map<string, number>;
  fail: (where: string, error: unknown, line?: number) => never;
}

function resolveStage(
  name: string,
  def: PlainDict,
  baseContext: Context,
  o: ResolveOpts,
): StageDefinition {
  let context = baseContext;
  let wdir = '.';
  if (typeof def.wdir === 'string' && def.wdir !== '') {
    try {
      wdir = posix.normalize(toStr(context.resolveStr(def.wdir, null, o.parsing)));
    } catch (error) {
      o.fail(`'stages.${name}.wdir'`, error, o.fieldLines.get('wdir') ?? o.line);
    }
    if (wdir.endsWith('/') && wdir !== '/') wdir = wdir.slice(0, -1);
  }
  const vars = Array.isArray(def.vars) ? (def.vars as unknown[]) : [];
  if (vars.length > 0) {
    if (hasInterpolation(vars)) {
      o.fail(
        `'stages.${name}.vars'`,
        new InterpolationError('interpolating is not allowed'),
        o.fieldLines.get('vars') ?? o.line,
      );
    }
    context = baseContext.clone();
    try {
      context.loadFromVars(vars, wdir, o.loadFile, { stageName: name });
    } catch (error) {
      o.fail(`'stages.${name}.vars'`, error, o.fieldLines.get('vars') ?? o.line);
    }
  }
  const r: PlainDict = {};
  for (const [key, value] of Object.entries(def)) {
    if (key === 'vars') continue;
    try {
      r[key] = context.resolve(value, key, o.parsing);
    } catch (error) {
      o.fail(`'stages.${name}.${key}'`, error, o.fieldLines.get(key) ?? o.line);
    }
  }
  const asStr = (v: unknown): string => toStr(v);
  const cmd = Array.isArray(r.cmd) ? r.cmd.map(asStr) : asStr(r.cmd);
  const stage: StageDefinition = {
    name,
    cmd,
    wdir,
    deps: Array.isArray(r.deps) ? r.deps.map(asStr) : [],
    params: mergeParams(Array.isArray(r.params) ? (r.params as unknown[]) : [], name, o),
    outs: [
      ...loadOuts(r.outs, 'out', name, o),
      ...loadOuts(r.metrics, 'metric', name, o),
      ...loadOuts(r.plots, 'plot', name, o),
    ],
    frozen: r.frozen === true,
    alwaysChanged: r.always_changed === true,
    generated: o.generated,
    line: o.line,
  };
  if (r.desc !== undefined && r.desc != null) stage.desc = asStr(r.desc);
  if (r.meta !== undefined) stage.meta = r.meta;
  return stage;
}

/** dvc/dependency `_merge_params`: a whole-file entry overrides the keys of that file. */
function mergeParams(list: unknown[], name: string, o: ResolveOpts): ParamsDep[] {
  const whole = new Set<string>();
  for (const item of list) {
    if (!isPlainDict(item)) continue;
    for (const [k, v] of Object.entries(item)) {
      if (v == null || v === undefined || v === false || (Array.isArray(v) && v.length === 0))
        whole.add(k);
    }
  }
  const d = new Map<string, string[]>();
  const add = (file: string, keys: string[]): void => {
    const cur = d.get(file);
    if (cur === undefined) d.set(file, [...keys]);
    else cur.push(...keys);
  };
  for (const item of list) {
    if (typeof item === 'string') {
      if (!whole.has(DEFAULT_PARAMS_FILE)) add(DEFAULT_PARAMS_FILE, [item]);
      continue;
    }
    if (!isPlainDict(item)) {
      fail(o.file, `stage '${name}': params entries must be str or dict`, { line: o.line });
    }
    for (const [k, v] of Object.entries(item)) {
      if (whole.has(k)) {
        d.set(k, []);
        continue;
      }
      if (!Array.isArray(v)) {
        fail(
          o.file,
          `Expected list of params for custom params file '${k}', got '${v instanceof Object ? 'dict' : typeof v}'.`,
          { line: o.fieldLines.get('params') ?? o.line },
        );
      }
      add(
        k,
        v.map((x: unknown) => toStr(x)),
      );
    }
  }
  return [...d].map(([file, keys]) => ({ file, keys: keys.length === 0 ? null : keys }));
}

function loadOuts(list: unknown, kind: OutDecl['kind'], name: string, o: ResolveOpts): OutDecl[] {
  if (!Array.isArray(list)) return [];
  const merged = new Map<string, PlainDict>();
  for (const entry of list as unknown[]) {
    if (typeof entry === 'string') {
      if (!merged.has(entry)) merged.set(entry, {});
      continue;
    }
    if (!isPlainDict(entry)) {
      fail(o.file, `stage '${name}': unsupported output entry`, { line: o.line });
    }
    for (const [path, flags] of Object.entries(entry)) {
      if (!isPlainDict(flags)) {
        fail(
          o.file,
          `Expected dict for '${path}', got: '${Array.isArray(flags) ? 'list' : typeof flags}'`,
          {
            line: o.line,
          },
        );
      }
      merged.set(path, { ...(merged.get(path) ?? {}), ...flags });
    }
  }
  const outs: OutDecl[] = [];
  for (const [path, flags] of merged) {
    const out: OutDecl = {
      path,
      kind,
      cache: flags.cache !== false,
      persist: flags.persist === true,
      push: flags.push !== false,
    };
    if (typeof flags.remote === 'string') out.remote = flags.remote;
    if (typeof flags.desc === 'string') out.desc = flags.desc;
    if (typeof flags.type === 'string') out.type = flags.type;
    if (Array.isArray(flags.labels)) out.labels = flags.labels.map((l: unknown) => toStr(l));
    if (flags.meta !== undefined) out.meta = flags.meta;
    if (kind === 'plot') {
      const props: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(flags)) if (PLOT_PROP_KEYS.includes(k)) props[k] = v;
      if (Object.keys(props).length > 0) out.plotProps = props;
    }
    outs.push(out);
  }
  return outs;
}
