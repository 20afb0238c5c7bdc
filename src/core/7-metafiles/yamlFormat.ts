/**
 * Reading and writing DVC's YAML metafiles the way DVC 3.x (ruamel.yaml 0.18/0.19) does.
 *
 * Reading resolves plain scalars with ruamel's YAML 1.2 implicit resolver (so `1_000` is an int, `yes`
 * is a string, `1.0` is a float kept as `PyFloat`). Writing is a port of the parts of ruamel's emitter
 * that DVC's dumper reaches (block style, indent 2, sequences not indented, width 80), so that our
 * output is byte-identical to DVC's.
 */
import * as YAML from 'yaml';
import { DvcFileError } from '../1-base/errors.js';
import { PyFloat, pyFloatRepr } from '../1-base/pyjson.js';
import { MAX_YAML_DEPTH as MAX_DEPTH, yamlNestingTooDeep } from './yamlLimits.js';

// ---------------------------------------------------------------------------------------------
// Resolver (ruamel.yaml `resolver.py`, YAML 1.2 entries, with their first-character filters)
// ---------------------------------------------------------------------------------------------

type ImplicitKind = 'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml';

const BOOL_RE = /^(?:true|True|TRUE|false|False|FALSE)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/;
const MERGE_RE = /^(?:<<)$/;
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP_RE =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const VALUE_RE = /^(?:=)$/;
const YAML_RE = /^(?:!|&|\*)$/;

const RESOLVERS: ReadonlyArray<{ kind: ImplicitKind; re: RegExp; first: string | null }> = [
  { kind: 'bool', re: BOOL_RE, first: 'tTfF' },
  { kind: 'float', re: FLOAT_RE, first: '-+0123456789.' },
  { kind: 'int', re: INT_RE, first: '-+0123456789' },
  { kind: 'merge', re: MERGE_RE, first: '<' },
  { kind: 'null', re: NULL_RE, first: null },
  { kind: 'timestamp', re: TIMESTAMP_RE, first: '0123456789' },
  { kind: 'value', re: VALUE_RE, first: '=' },
  { kind: 'yaml', re: YAML_RE, first: '!&*' },
];

/** The tag ruamel's 1.2 resolver gives a plain scalar (`str` when nothing matches). */
export function resolvePlain(value: string): ImplicitKind | 'str' {
  for (const r of RESOLVERS) {
    if (r.kind === 'null') {
      if (!(value === '' || '~nN'.includes(value[0] ?? ''))) continue;
    } else if (value === '' || r.first == null || !r.first.includes(value[0] ?? '')) {
      continue;
    }
    if (r.re.test(value)) return r.kind;
  }
  return 'str';
}

function withFirst(re: RegExp, first: string): RegExp {
  const cls = first.replace(/[-\\\]^]/g, (c) => `\\${c}`);
  return new RegExp(`^(?=[${cls}])${re.source.slice(1)}`);
}

function constructInt(text: string): number | bigint {
  let s = text.replace(/_/g, '');
  let sign = 1n;
  if (s.startsWith('-')) {
    sign = -1n;
    s = s.slice(1);
  } else if (s.startsWith('+')) {
    s = s.slice(1);
  }
  let big: bigint;
  if (s.startsWith('0b')) big = BigInt(s);
  else if (s.startsWith('0x')) big = BigInt(s);
  else if (s.startsWith('0o')) big = BigInt(s);
  else big = BigInt(s === '' ? '0' : s);
  big *= sign;
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

function constructFloat(text: string): PyFloat {
  const s = text.replace(/_/g, '').toLowerCase();
  if (s.endsWith('.inf')) return new PyFloat(s.startsWith('-') ? -Infinity : Infinity);
  if (s === '.nan') return new PyFloat(NaN);
  return new PyFloat(Number(s));
}

const RUAMEL_TAGS: YAML.ScalarTag[] = [
  {
    tag: 'tag:yaml.org,2002:bool',
    default: true,
    test: withFirst(BOOL_RE, 'tTfF'),
    resolve: (s) => s[0] === 't' || s[0] === 'T',
    identify: (v) => typeof v === 'boolean',
  },
  {
    tag: 'tag:yaml.org,2002:float',
    default: true,
    test: withFirst(FLOAT_RE, '-+0123456789.'),
    resolve: constructFloat,
    identify: (v) => v instanceof PyFloat,
  },
  {
    tag: 'tag:yaml.org,2002:int',
    default: true,
    test: withFirst(INT_RE, '-+0123456789'),
    resolve: constructInt,
    identify: (v) => typeof v === 'number' || typeof v === 'bigint',
  },
  {
    tag: 'tag:yaml.org,2002:null',
    default: true,
    test: NULL_RE,
    resolve: () => null,
    identify: (v) => v == null || v === undefined,
  },
  {
    // ruamel's safe loader builds date/datetime objects; we keep the source text.
    tag: 'tag:yaml.org,2002:timestamp',
    default: true,
    test: withFirst(TIMESTAMP_RE, '0123456789'),
    resolve: (s) => s,
  },
  {
    tag: 'tag:yaml.org,2002:value',
    default: true,
    test: VALUE_RE,
    resolve: (_s, onError) => {
      onError("could not determine a constructor for the tag 'tag:yaml.org,2002:value'");
      return null;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const MAX_ALIAS_COUNT = 100;

const lineCounters = new WeakMap<YAML.Document, YAML.LineCounter>();

export interface ParsedYaml {
  doc: YAML.Document;
  data: unknown;
}

/** Options shared by every parse so that old and new text resolve scalars identically. */
function parseDoc(text: string, lineCounter: YAML.LineCounter): YAML.Document {
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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of a metafile (`.dvc`, `dvc.yaml`, `dvc.lock`, a params file) from its bytes. Bytes
 * that are not UTF-8 are refused, naming the file and line, as DVC's reader fails on them too:
 * decoded leniently they would become U+FFFD, and a path of them one nobody wrote. A BOM is kept
 * (parseYamlFile skips it), as `toString('utf8')` keeps it.
 */
export function decodeMetafile(bytes: Uint8Array, fileLabel: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(0x0a, start);
      try {
        strictUtf8.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
      } catch {
        throw new DvcFileError(fileLabel, 'the file is not valid UTF-8', { line });
      }
      if (end === -1) throw new DvcFileError(fileLabel, 'the file is not valid UTF-8');
      start = end + 1;
      line += 1;
    }
  }
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
  if (isFalsyPy(data)) data = {};
  return { doc, data };
}

function isFalsyPy(v: unknown): boolean {
  if (v == null || v === undefined || v === false || v === 0 || v === '' || v === 0n) return true;
  if (v instanceof PyFloat) return v.value === 0;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
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

// ---------------------------------------------------------------------------------------------
// Python-compatible scalar text
// ---------------------------------------------------------------------------------------------

function floatText(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  return pyFloatRepr(x).toLowerCase();
}

interface ScalarEvent {
  value: string;
  /** implicit[0]: the plain text would resolve back to the same tag. */
  plainImplicit: boolean;
  isNull: boolean;
}

type Mapping = ReadonlyArray<readonly [unknown, unknown]>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v == null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto == null;
}

function mappingEntries(v: unknown): Mapping | undefined {
  if (v instanceof Map) return [...(v as Map<unknown, unknown>).entries()];
  if (isPlainObject(v)) return Object.entries(v);
  return undefined;
}

function scalarEvent(v: unknown): ScalarEvent | undefined {
  if (v == null || v === undefined) return { value: '', plainImplicit: true, isNull: true };
  if (typeof v === 'boolean')
    return { value: v ? 'true' : 'false', plainImplicit: true, isNull: false };
  if (typeof v === 'bigint') return { value: v.toString(), plainImplicit: true, isNull: false };
  if (typeof v === 'number') {
    const text = Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatText(v);
    // Integers beyond 1e21 would be printed in exponent form by String(); go through BigInt.
    const safe = Number.isInteger(v) && Math.abs(v) >= 1e21 ? BigInt(v).toString() : text;
    return { value: safe, plainImplicit: true, isNull: false };
  }
  if (v instanceof PyFloat)
    return { value: floatText(v.value), plainImplicit: true, isNull: false };
  if (typeof v === 'string')
    return { value: v, plainImplicit: resolvePlain(v) === 'str', isNull: false };
  if (v instanceof Date) return { value: v.toISOString(), plainImplicit: false, isNull: false };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Emitter (port of ruamel.yaml emitter.py, block style only plus empty flow collections)
// ---------------------------------------------------------------------------------------------

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
  allowDoubleQuoted: boolean;
}

const WS = '\0 \t\r\n\x85\u2028\u2029';
const BREAKS = '\n\x85\u2028\u2029';

function isPrintableUnicode(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return (
    (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000) &&
    c !== 0xfeff
  );
}

function analyzeScalar(scalar: string): Analysis {
  if (scalar === '') {
    return {
      empty: true,
      multiline: false,
      allowFlowPlain: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
      allowDoubleQuoted: true,
    };
  }
  const chars = Array.from(scalar);
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (scalar.startsWith('---') || scalar.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let preceededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WS.includes(chars[1] ?? '');
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index] ?? '';
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        if (chars.length === 1) flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '#' && preceededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const code = ch.codePointAt(0) ?? 0;
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) {
      // allow_unicode is on in DVC's dumper, so only non-printable characters are special.
      if (!isPrintableUnicode(ch)) specialCharacters = true;
    }
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    preceededByWhitespace = WS.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || WS.includes(chars[index + 2] ?? '');
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  const allowDoubleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    allowFlowPlain = allowBlockPlain = false;
  }
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (specialCharacters || spaceBreak) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return {
    empty: false,
    multiline: lineBreaks,
    allowFlowPlain,
    allowBlockPlain,
    allowSingleQuoted,
    allowDoubleQuoted,
  };
}

const ESCAPE_REPLACEMENTS: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

interface NodeContext {
  root?: boolean;
  sequence?: boolean;
  mapping?: boolean;
  simpleKey?: boolean;
}

const MAX_SIMPLE_KEY_LENGTH = 128;
const BEST_WIDTH = 80;
const BEST_INDENT = 2;

class Emitter {
  private readonly out: string[] = [];
  column = 0;
  whitespace = true;
  indention = true;
  indent: number | null = null;
  indents: Array<[number | null, boolean]> = [];
  private flowLevel = 0;
  private rootContext = false;
  private sequenceContext = false;
  private simpleKeyContext = false;
  private mappingContext = false;
  openEnded = false;

  text(): string {
    return this.out.join('');
  }

  private write(data: string): void {
    this.out.push(data);
  }

  private increaseIndent(flow: boolean, sequence: boolean, indentless = false): void {
    this.indents.push([this.indent, sequence]);
    if (this.indent == null) {
      // requested_indent is None in DVC's dumper
      this.indent = flow ? null : 0;
    } else if (!indentless) {
      this.indent += BEST_INDENT;
    }
  }

  private popIndent(): void {
    const top = this.indents.pop();
    this.indent = top === undefined ? null : top[0];
  }

  writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    whitespace = false,
    indention = false,
  ): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.column += data.length;
    this.openEnded = false;
    this.write(data);
  }

  writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
      this.column = indent;
    }
  }

  writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.write(data);
  }

  // -- nodes --------------------------------------------------------------------------------

  emitNode(value: unknown, ctx: NodeContext): void {
    this.rootContext = ctx.root === true;
    this.sequenceContext = ctx.sequence === true;
    this.mappingContext = ctx.mapping === true;
    this.simpleKeyContext = ctx.simpleKey === true;
    const ev = scalarEvent(value);
    if (ev !== undefined) {
      // scalar_after_indicator is True, so no write_indent for a root scalar.
      this.increaseIndent(true, false);
      this.processScalar(ev);
      this.popIndent();
      return;
    }
    if (Array.isArray(value)) {
      if (this.flowLevel > 0 || value.length === 0) this.emitEmptyFlow('[', ']');
      else this.emitBlockSequence(value);
      return;
    }
    const entries = mappingEntries(value);
    if (entries !== undefined) {
      if (this.flowLevel > 0 || entries.length === 0) this.emitEmptyFlow('{', '}');
      else this.emitBlockMapping(entries);
      return;
    }
    throw new TypeError(`cannot represent ${typeof value} in YAML`);
  }

  private seqFlowAlign(): number {
    const values = this.indents;
    const last = values[values.length - 1];
    if (values.length < 2 || last === undefined || !last[1]) return 0;
    const base = last[0] ?? 0;
    return base + BEST_INDENT - this.column - 1;
  }

  private emitEmptyFlow(open: string, close: string): void {
    const ind = this.seqFlowAlign();
    this.writeIndicator(' '.repeat(Math.max(0, ind)) + open, true, true);
    this.increaseIndent(true, open === '[');
    this.popIndent();
    this.writeIndicator(close, false);
    if (this.flowLevel === 0) this.writeLineBreak();
  }

  private emitBlockSequence(items: readonly unknown[]): void {
    let indentless = false;
    if (this.mappingContext) indentless = !this.indention;
    this.increaseIndent(false, true, indentless);
    const n = this.indents.length;
    if (n >= 2 && this.indents[n - 2]?.[1] === true && this.indents[n - 1]?.[1] === true) {
      this.indention = true;
    }
    for (const item of items) this.emitSequenceItem(item);
    this.popIndent();
  }

  emitSequenceItem(item: unknown): void {
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
    this.emitNode(item, { sequence: true });
  }

  private emitBlockMapping(entries: Mapping): void {
    this.increaseIndent(false, false);
    for (const [k, v] of entries) this.emitMappingPair(k, v);
    this.popIndent();
  }

  emitMappingPair(key: unknown, value: unknown): void {
    this.writeIndent();
    const keyEvent = scalarEvent(key);
    if (keyEvent === undefined) throw new TypeError('mapping keys must be scalars');
    // Keys longer than 128 characters or spanning lines would become complex `? ` keys in ruamel;
    // DVC's files never have those.
    if (keyEvent.value.length >= MAX_SIMPLE_KEY_LENGTH || analyzeScalar(keyEvent.value).multiline) {
      throw new TypeError('mapping key too long or multi-line for a simple key');
    }
    this.emitNode(keyEvent.isNull ? 'null' : key, { mapping: true, simpleKey: true });
    this.writeIndicator(':', false);
    this.emitNode(value, { mapping: true });
  }

  // -- scalars ------------------------------------------------------------------------------

  private chooseStyle(ev: ScalarEvent, a: Analysis): '' | "'" | '"' {
    if (ev.isNull) return '';
    if (ev.plainImplicit) {
      if (
        !(this.simpleKeyContext && (a.empty || a.multiline)) &&
        ((this.flowLevel > 0 && a.allowFlowPlain) || (this.flowLevel === 0 && a.allowBlockPlain))
      ) {
        return '';
      }
    }
    if (a.allowDoubleQuoted && (ev.value.includes("'") || ev.value.includes('\n'))) return '"';
    if (a.allowSingleQuoted && !(this.simpleKeyContext && a.multiline)) return "'";
    return '"';
  }

  private processScalar(ev: ScalarEvent): void {
    const analysis = analyzeScalar(ev.value);
    const style = this.chooseStyle(ev, analysis);
    const split = !this.simpleKeyContext;
    if (this.sequenceContext && this.flowLevel === 0) this.writeIndent();
    if (style === '"') this.writeDoubleQuoted(ev.value, split);
    else if (style === "'") this.writeSingleQuoted(ev.value, split);
    else this.writePlain(ev.value, split);
  }

  private writePlain(text: string, split: boolean): void {
    if (this.rootContext) this.openEnded = true;
    if (text === '') return;
    if (!this.whitespace) {
      this.column += 1;
      this.write(' ');
    }
    this.whitespace = false;
    this.indention = false;
    const chars = Array.from(text);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= chars.length) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column >= BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            const data = chars.slice(start, end).join('');
            this.column += end - start;
            this.write(data);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.writeLineBreak();
          for (const br of chars.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === undefined || ' \n\x85\u2028\u2029'.includes(ch)) {
        const len = end - start;
        if (len + this.column > BEST_WIDTH && this.indent != null && this.column > this.indent) {
          this.writeIndent();
        }
        this.column += len;
        this.write(chars.slice(start, end).join(''));
        start = end;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
      end++;
    }
  }

  private writeSingleQuoted(text: string, split: boolean): void {
    this.writeIndicator("'", true);
    const chars = Array.from(text);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= chars.length) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (spaces) {
        if (ch === undefined || ch !== ' ') {
          if (
            start + 1 === end &&
            this.column > BEST_WIDTH &&
            split &&
            start !== 0 &&
            end !== chars.length
          ) {
            this.writeIndent();
          } else {
            this.column += end - start;
            this.write(chars.slice(start, end).join(''));
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.writeLineBreak();
          for (const br of chars.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === undefined || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.column += end - start;
          this.write(chars.slice(start, end).join(''));
          start = end;
        }
      }
      if (ch === "'") {
        this.column += 2;
        this.write("''");
        start = end + 1;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
      end++;
    }
    this.writeIndicator("'", false);
  }

  private writeDoubleQuoted(text: string, split: boolean): void {
    this.writeIndicator('"', true);
    const chars = Array.from(text);
    let start = 0;
    let end = 0;
    while (end <= chars.length) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (
        ch === undefined ||
        '"\\\x85\u2028\u2029\uFEFF'.includes(ch) ||
        !(
          ((ch.codePointAt(0) ?? 0) >= 0x20 && (ch.codePointAt(0) ?? 0) <= 0x7e) ||
          isUnicodeAllowedInDouble(ch)
        )
      ) {
        if (start < end) {
          this.column += end - start;
          this.write(chars.slice(start, end).join(''));
          start = end;
        }
        if (ch !== undefined) {
          const code = ch.codePointAt(0) ?? 0;
          let data: string;
          const rep = ESCAPE_REPLACEMENTS[ch];
          if (rep !== undefined) data = `\\${rep}`;
          else if (code <= 0xff) data = `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (code <= 0xffff) data = `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
          else data = `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
          this.column += data.length;
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < chars.length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > BEST_WIDTH &&
        split
      ) {
        let needBackslash = true;
        if (chars.length > end) {
          const rest = chars.slice(end);
          const sp = rest.indexOf(' ');
          if (sp !== -1) {
            let spacePos = end + sp;
            const nl = chars.slice(end, spacePos).indexOf('\n');
            if (nl !== -1) spacePos = end + nl;
            const between = chars.slice(end, spacePos).join('');
            if (chars[spacePos] === '\n' && chars[spacePos + 1] !== ' ') {
              // keep the backslash
            } else if (
              !between.includes('"') &&
              !between.includes("'") &&
              spacePos + 1 < chars.length &&
              !' \n'.includes(chars[spacePos + 1] ?? '') &&
              chars.slice(end - 1, end + 1).join('') !== '  ' &&
              start !== end
            ) {
              needBackslash = false;
            }
          }
        }
        const data = chars.slice(start, end).join('') + (needBackslash ? '\\' : '');
        if (start < end) start = end;
        this.column += data.length;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') {
          if (!needBackslash) start += 1;
          const d = needBackslash ? '\\' : '';
          this.column += d.length;
          this.write(d);
        }
      }
      end++;
    }
    this.writeIndicator('"', false);
  }
}

function isUnicodeAllowedInDouble(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return (
    (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)
  );
}

/** `yaml.dump(data)` with DVC's ruamel settings. */
export function dumpYaml(data: unknown): string {
  const e = new Emitter();
  e.emitNode(data, { root: true });
  // expect_document_end: write_indent with the indent back at None.
  e.indent = null;
  e.writeIndent();
  let text = e.text();
  if (e.openEnded) text += '...\n';
  return text;
}

/** Text of one `key: value` pair whose key sits at `column` (no leading spaces, ends with "\n"). */
function dumpPairFragment(key: string, value: unknown, column: number): string {
  const e = new Emitter();
  e.indent = column;
  e.indents = [[column === 0 ? null : column - BEST_INDENT, false]];
  e.emitMappingPair(key, value);
  e.indent = null;
  e.writeIndent();
  return e.text().slice(column);
}

/** Text of one `- item` whose dash sits at `column` (no leading spaces, ends with "\n"). */
function dumpItemFragment(value: unknown, column: number): string {
  const e = new Emitter();
  e.indent = column;
  e.indents = [[column === 0 ? null : column, true]];
  e.emitSequenceItem(value);
  e.indent = null;
  e.writeIndent();
  return e.text().slice(column);
}

// ---------------------------------------------------------------------------------------------
// Round-trip update (dvc.utils.collections.apply_diff on the old document)
// ---------------------------------------------------------------------------------------------

interface Edit {
  start: number;
  end: number;
  text: string;
}

class NeedsParentReplace extends Error {}

/** Python `==` for the scalar values we produce (1 == 1.0 == True). */
function pyScalarEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown): number | bigint | undefined => {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof PyFloat) return v.value;
    return undefined;
  };
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) {
    // eslint-disable-next-line eqeqeq -- loose equality compares number with bigint by value
    return na == nb;
  }
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  return a === b;
}

type PyKind = 'str' | 'map' | 'seq' | 'bool' | 'other';

function kindOfValue(v: unknown): PyKind {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'seq';
  if (mappingEntries(v) !== undefined) return 'map';
  return 'other';
}

function kindOfNode(n: unknown): PyKind {
  if (YAML.isMap(n)) return 'map';
  if (YAML.isSeq(n)) return 'seq';
  if (YAML.isScalar(n)) return kindOfValue(n.value);
  return 'other';
}

function nodeEqual(node: unknown, value: unknown): boolean {
  if (YAML.isScalar(node)) {
    const k = kindOfValue(value);
    if (k === 'seq' || k === 'map') return false;
    return pyScalarEqual(node.value, value);
  }
  if (YAML.isSeq(node)) {
    if (!Array.isArray(value) || value.length !== node.items.length) return false;
    return node.items.every((item, i) => nodeEqual(item, value[i]));
  }
  if (YAML.isMap(node)) {
    const entries = mappingEntries(value);
    if (entries === undefined || entries.length !== node.items.length) return false;
    const m = new Map(entries.map(([k, v]) => [String(k), v]));
    return node.items.every((p) => {
      const key = YAML.isScalar(p.key) ? String(p.key.value) : undefined;
      return key !== undefined && m.has(key) && nodeEqual(p.value, m.get(key));
    });
  }
  return false;
}

class Updater {
  readonly edits: Edit[] = [];
  constructor(private readonly src: string) {}

  lineStart(pos: number): number {
    return this.src.lastIndexOf('\n', pos - 1) + 1;
  }

  column(pos: number): number {
    return pos - this.lineStart(pos);
  }

  /** Offset just after the end of the line containing `pos` (after its "\n"). */
  lineEnd(pos: number): number {
    const nl = this.src.indexOf('\n', pos);
    return nl === -1 ? this.src.length : nl + 1;
  }

  /** Last offset of real content of a node (trailing spaces and newlines trimmed). */
  contentEnd(node: YAML.Node | null, fallback: number): number {
    const r = node?.range;
    if (r === undefined || r == null) return fallback;
    let end = Math.max(r[1], fallback);
    while (end > 0 && ' \t\r\n'.includes(this.src[end - 1] ?? '')) end--;
    return Math.max(end, fallback);
  }

  isFlow(node: unknown): boolean {
    return (YAML.isMap(node) || YAML.isSeq(node)) && node.flow === true;
  }

  isAtLineStart(pos: number): boolean {
    return this.src.slice(this.lineStart(pos), pos).trim() === '';
  }

  pairKeyStart(pair: YAML.Pair): number {
    const k = pair.key as YAML.Node;
    return k.range?.[0] ?? 0;
  }

  pairEnd(pair: YAML.Pair): number {
    const k = pair.key as YAML.Node;
    const keyEnd = k.range?.[1] ?? 0;
    return this.contentEnd(pair.value as YAML.Node | null, keyEnd + 1);
  }

  diffMap(map: YAML.YAMLMap, entries: Mapping): void {
    if (this.isFlow(map)) {
      // An unchanged flow mapping (`meta: {k: v}`) stays as written, like a flow sequence.
      if (nodeEqual(map, new Map(entries))) return;
      throw new NeedsParentReplace();
    }
    const pairs = map.items;
    const byKey = new Map<string, number>();
    pairs.forEach((p, i) => {
      if (!YAML.isScalar(p.key)) throw new NeedsParentReplace();
      byKey.set(String(p.key.value), i);
    });
    if (pairs.length === 0) throw new NeedsParentReplace();
    const first = pairs[0];
    if (first === undefined) throw new NeedsParentReplace();
    const keyColumn = this.column(this.pairKeyStart(first));
    const appended: string[] = [];
    const newKeys = new Set<string>();
    for (const [k, v] of entries) {
      const key = String(k);
      newKeys.add(key);
      const idx = byKey.get(key);
      if (idx === undefined) {
        appended.push(' '.repeat(keyColumn) + dumpPairFragment(key, v, keyColumn));
        continue;
      }
      const pair = pairs[idx];
      if (pair === undefined) continue;
      const vk = kindOfValue(v);
      const nk = kindOfNode(pair.value);
      if ((vk === 'map' || vk === 'seq') && vk === nk) {
        try {
          if (vk === 'map') this.diffMap(pair.value as YAML.YAMLMap, mappingEntries(v) ?? []);
          else this.diffSeq(pair.value as YAML.YAMLSeq, v as unknown[]);
        } catch (e) {
          if (!(e instanceof NeedsParentReplace)) throw e;
          this.replacePair(pair, key, v, keyColumn);
        }
      } else if (!nodeEqual(pair.value, v)) {
        this.replacePair(pair, key, v, keyColumn);
      }
    }
    const removed = pairs
      .map((p, i) => [p, i] as const)
      .filter(([p]) => !newKeys.has(String((p.key as YAML.Scalar).value)));
    const removedIdx = new Set(removed.map(([, i]) => i));
    const firstStart = this.pairKeyStart(first);
    if (removedIdx.has(0) && !this.isAtLineStart(firstStart)) {
      // The first key shares its line with the `- ` of a sequence item: the next surviving key
      // (or the first appended one) moves up onto that line, as ruamel does.
      const survivor = pairs.findIndex((_p, i) => !removedIdx.has(i));
      if (survivor === -1) {
        if (appended.length === 0) throw new NeedsParentReplace();
        const last = pairs[pairs.length - 1];
        if (last === undefined) throw new NeedsParentReplace();
        const end = this.lineEnd(this.pairEnd(last));
        this.edits.push({ start: firstStart, end, text: appended.join('').slice(keyColumn) });
        return;
      }
      const next = pairs[survivor];
      if (next === undefined) throw new NeedsParentReplace();
      this.edits.push({ start: firstStart, end: this.pairKeyStart(next), text: '' });
      for (let i = 0; i < survivor; i++) removedIdx.delete(i);
    }
    for (const i of removedIdx) {
      const pair = pairs[i];
      if (pair === undefined) continue;
      const start = this.pairKeyStart(pair);
      if (!this.isAtLineStart(start)) throw new NeedsParentReplace();
      const next = pairs[i + 1];
      const end =
        next !== undefined
          ? this.lineStart(this.pairKeyStart(next))
          : this.lineEnd(this.pairEnd(pair));
      this.edits.push({ start: this.lineStart(start), end, text: '' });
    }
    if (appended.length > 0) {
      const last = pairs[pairs.length - 1];
      if (last === undefined) throw new NeedsParentReplace();
      const at = this.lineEnd(this.pairEnd(last));
      const prefix = at === this.src.length && !this.src.endsWith('\n') ? '\n' : '';
      this.edits.push({ start: at, end: at, text: prefix + appended.join('') });
    }
  }

  diffSeq(seq: YAML.YAMLSeq, values: readonly unknown[]): void {
    if (this.isFlow(seq)) {
      if (
        values.length === seq.items.length &&
        seq.items.every((it, i) => nodeEqual(it, values[i]))
      )
        return;
      throw new NeedsParentReplace();
    }
    if (values.length !== seq.items.length) throw new NeedsParentReplace();
    seq.items.forEach((item, i) => {
      const v = values[i];
      const vk = kindOfValue(v);
      const nk = kindOfNode(item);
      if ((vk === 'map' || vk === 'seq') && vk === nk) {
        try {
          if (vk === 'map') this.diffMap(item as YAML.YAMLMap, mappingEntries(v) ?? []);
          else this.diffSeq(item as YAML.YAMLSeq, v as unknown[]);
        } catch (e) {
          if (!(e instanceof NeedsParentReplace)) throw e;
          this.replaceItem(item as YAML.Node, v);
        }
      } else if (!nodeEqual(item, v)) {
        this.replaceItem(item as YAML.Node | null, v);
      }
    });
  }

  replacePair(pair: YAML.Pair, key: string, value: unknown, keyColumn: number): void {
    const start = this.pairKeyStart(pair);
    const end = this.pairEnd(pair);
    const text = dumpPairFragment(key, value, keyColumn).replace(/\n$/, '');
    this.edits.push({ start, end, text });
  }

  replaceItem(item: YAML.Node | null, value: unknown): void {
    const itemStart = item?.range?.[0];
    if (itemStart === undefined) throw new NeedsParentReplace();
    const dash = this.src.lastIndexOf('-', itemStart - 1);
    if (dash < 0) throw new NeedsParentReplace();
    const end = this.contentEnd(item, dash + 1);
    const text = dumpItemFragment(value, this.column(dash)).replace(/\n$/, '');
    this.edits.push({ start: dash, end, text });
  }
}

/**
 * Rewrite `oldText` so that it holds `newData`, the way DVC's `modify_yaml` + `apply_diff` does:
 * existing keys keep their position and comments, new keys are appended to their mapping, removed
 * keys disappear, and lists whose length changed are replaced wholesale. Lines that are not touched
 * by the change stay byte-identical.
 */
export function updateYamlText(oldText: string, newData: unknown): string {
  const lc = new YAML.LineCounter();
  const doc = parseDoc(oldText, lc);
  const root = doc.contents;
  const entries = mappingEntries(newData);
  if (doc.errors.length > 0 || !YAML.isMap(root) || entries === undefined) return dumpYaml(newData);
  const up = new Updater(oldText);
  try {
    up.diffMap(root, entries);
  } catch (e) {
    if (e instanceof NeedsParentReplace) return dumpYaml(newData);
    throw e;
  }
  // Inserts at the same offset must keep their push order (inner edits before outer appends).
  const edits = up.edits
    .map((ed, i) => ({ ...ed, i }))
    .sort((a, b) => b.start - a.start || b.end - a.end || b.i - a.i);
  let text = oldText;
  let lastStart = Infinity;
  for (const ed of edits) {
    if (ed.end > lastStart) return dumpYaml(newData); // overlapping edits: give up on preservation
    text = text.slice(0, ed.start) + ed.text + text.slice(ed.end);
    lastStart = ed.start;
  }
  return text;
}

/**
 * Replace (wholesale) or append entries of the block mapping found at `path` in `oldText`, keeping
 * every other byte. This is what `data[key] = value` followed by a round-trip dump does in DVC for
 * dvc.lock stages. Returns undefined when the old text does not have that shape.
 */
export function setMappingEntries(
  oldText: string,
  path: readonly string[],
  updates: ReadonlyArray<readonly [string, unknown]>,
): string | undefined {
  const doc = parseDoc(oldText, new YAML.LineCounter());
  if (doc.errors.length > 0) return undefined;
  let node: unknown = doc.contents;
  for (const step of path) {
    if (!YAML.isMap(node) || node.flow === true) return undefined;
    const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === step);
    if (pair === undefined) return undefined;
    node = pair.value;
  }
  if (!YAML.isMap(node) || node.flow === true || node.items.length === 0) return undefined;
  const up = new Updater(oldText);
  const first = node.items[0];
  const last = node.items[node.items.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const keyColumn = up.column(up.pairKeyStart(first));
  const appended: string[] = [];
  for (const [key, value] of updates) {
    const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === key);
    if (pair === undefined)
      appended.push(' '.repeat(keyColumn) + dumpPairFragment(key, value, keyColumn));
    else up.replacePair(pair, key, value, keyColumn);
  }
  if (appended.length > 0) {
    const at = up.lineEnd(up.pairEnd(last));
    const prefix = at === oldText.length && !oldText.endsWith('\n') ? '\n' : '';
    up.edits.push({ start: at, end: at, text: prefix + appended.join('') });
  }
  let text = oldText;
  for (const ed of [...up.edits].sort((a, b) => b.start - a.start)) {
    text = text.slice(0, ed.start) + ed.text + text.slice(ed.end);
  }
  return text;
}
