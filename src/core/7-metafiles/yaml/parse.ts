/**
 * Parsing DVC's YAML metafiles like DVC's `parse_yaml`, with ruamel's scalar resolution and the
 * limits on hostile files, and finding where a key sits in the source for error messages.
 */
import * as YAML from 'yaml';
import { DvcFileError } from '../../1-base/errors.js';
import { PyFloat, pyTruthy } from '../../1-base/python.js';
import { MAX_YAML_DEPTH as MAX_DEPTH, yamlNestingTooDeep } from './limits.js';
import { RUAMEL_TAGS } from './resolver.js';

const MAX_ALIAS_COUNT = 100;

const lineCounters = new WeakMap<YAML.Document, YAML.LineCounter>();

export interface ParsedYaml {
  doc: YAML.Document;
  data: unknown;
}

/** Options shared by every parse so that old and new text resolve scalars identically. */
export function parseDoc(text: string, lineCounter: YAML.LineCounter): YAML.Document {
  return YAML.parseDocument(text, {
    schema: 'failsafe',
    customTags: (tags) => [...tags, ...RUAMEL_TAGS],
    merge: true,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    keepSourceTokens: false,
    lineCounter,
  });
}

function errorPosition(
  err: YAML.YAMLError,
  lc: YAML.LineCounter,
): { line: number; column: number } | undefined {
  const offset = err.pos[0];
  if (typeof offset !== 'number') return undefined;
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

function measureDepth(value: unknown, depth: number): number {
  if (depth > MAX_DEPTH) return depth;
  let max = depth;
  if (Array.isArray(value)) {
    for (const v of value) max = Math.max(max, measureDepth(v, depth + 1));
  } else if (value != null && typeof value === 'object' && !(value instanceof PyFloat)) {
    for (const v of Object.values(value)) max = Math.max(max, measureDepth(v, depth + 1));
    if (max > MAX_DEPTH) return max;
  }
  return max;
}

/**
 * Parse a metafile like DVC's `parse_yaml` (`yaml.load(text) or {}`): an empty or falsy document
 * gives `{}`. Mappings come back as plain objects in document order.
 */
export function parseYamlFile(text: string, fileLabel: string): ParsedYaml {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (yamlNestingTooDeep(src)) {
    throw new DvcFileError(fileLabel, 'YAML file structure is corrupted: nesting is too deep');
  }
  const lc = new YAML.LineCounter();
  let doc: YAML.Document;
  try {
    doc = parseDoc(src, lc);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new DvcFileError(fileLabel, 'YAML file structure is corrupted: nesting is too deep');
    }
    throw e;
  }
  const first = doc.errors[0];
  if (first !== undefined) {
    throw new DvcFileError(
      fileLabel,
      `YAML file structure is corrupted: ${first.message.split('\n')[0] ?? ''}`,
      errorPosition(first, lc),
    );
  }
  lineCounters.set(doc, lc);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new DvcFileError(fileLabel, `YAML file structure is corrupted: ${reason}`);
  }
  if (measureDepth(data, 0) > MAX_DEPTH) {
    throw new DvcFileError(fileLabel, 'YAML file structure is corrupted: nesting is too deep');
  }
  if (!pyTruthy(data)) data = {};
  return { doc, data };
}

/** 1-based line/column of a source offset in a document returned by `parseYamlFile`. */
export function offsetPosition(
  doc: YAML.Document,
  offset: number,
): { line: number; column: number } | undefined {
  const lc = lineCounters.get(doc);
  if (lc === undefined) return undefined;
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/**
 * Position of the key at `path` (or of the value, for sequence indices) in `doc`; falls back to the
 * nearest existing ancestor.
 */
export function pathPosition(
  doc: YAML.Document | undefined,
  path: ReadonlyArray<string | number>,
): { line: number; column: number } | undefined {
  if (doc === undefined) return undefined;
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YAML.Node | null)?.range?.[0];
  for (const step of path) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === step);
      if (pair === undefined) break;
      offset = (pair.key as YAML.Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (YAML.isSeq(node) && typeof step === 'number') {
      const item: unknown = node.items[step];
      if (!YAML.isNode(item)) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : offsetPosition(doc, offset);
}
