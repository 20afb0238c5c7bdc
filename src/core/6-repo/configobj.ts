/**
 * DVC's config files are read and written by Python's `configobj` (5.x) with default options, then
 * reshaped by dvc/config.py (`_lower_keys`, `_parse_named`, `_pack_named`). This module ports the
 * parts of both that decide which files are accepted and which bytes are written.
 */

import { SluiceError } from '../1-base/errors.js';
import { pyStrip, pyStrRepr } from '../1-base/python.js';

export type ConfigValue = string | string[];
export type ConfigSection = Record<string, ConfigValue>;
/**
 * Sections keyed by their logical name: `core`, `cache`, `remote "name"`, `machine "name"`,
 * `db "name"`. Insertion order is the file order.
 */
export type ConfigData = Record<string, ConfigSection>;

export type NamedSectionKind = 'remote' | 'machine' | 'db';
export const NAMED_SECTION_KINDS: readonly NamedSectionKind[] = ['remote', 'machine', 'db'];

const NAMED_SECTION_RE = /^\s*(remote|machine|db)\s*"(.*)"\s*$/;

/** `remote "name"` -> {kind: 'remote', name: 'name'}; null for a plain section. */
export function parseNamedSection(
  section: string,
): { kind: NamedSectionKind; name: string } | null {
  const match = NAMED_SECTION_RE.exec(section);
  if (match == null) return null;
  return { kind: match[1] as NamedSectionKind, name: match[2] };
}

export function namedSection(kind: NamedSectionKind, name: string): string {
  return `${kind} "${name}"`;
}

// ---------------------------------------------------------------------------------------------
// Parsing

const KEYWORD_RE = /^(\s*)((?:".*?")|(?:'.*?')|(?:[^'"=].*?))\s*=\s*(.*)$/;
const SECTION_MARKER_RE =
  /^(\s*)((?:\[\s*)+)((?:"\s*\S.*?\s*")|(?:'\s*\S.*?\s*')|(?:[^'"\s].*?))((?:\s*\])+)\s*(#.*)?$/;
const VALUE_RE =
  /^(?:(?:((?:(?:(?:".*?")|(?:'.*?')|(?:[^'",#][^,#]*?))\s*,\s*)*)((?:".*?")|(?:'.*?')|(?:[^'",#\s][^,]*?)|(?:(?<!,)))?)|(,))\s*(#.*)?$/;
const LIST_VALUE_RE = /((?:".*?")|(?:'.*?')|(?:[^'",#]?.*?))\s*,\s*/g;
const TRIPLE_QUOTE: Record<string, [RegExp, RegExp]> = {
  "'''": [/^'''(.*?)'''\s*(#.*)?$/, /^(.*?)'''\s*(#.*)?$/],
  '"""': [/^"""(.*?)"""\s*(#.*)?$/, /^(.*?)"""\s*(#.*)?$/],
};

class ValueSyntaxError extends Error {}

/** Python's `str.splitlines()` line boundaries. */
// eslint-disable-next-line no-control-regex
const LINE_BREAK_RE = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

interface ParseFailure {
  message: string;
  line: number;
}

/**
 * Parses a config file the way `Config.load_file` does: configobj syntax, then section names and
 * keys lower-cased, named sections normalised to `remote "name"`. `file` is only used in errors.
 */
export function parseConfigObj(text: string, file: string): ConfigData {
  const lines = (text.startsWith('\ufeff') ? text.slice(1) : text).split(LINE_BREAK_RE);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  const errors: ParseFailure[] = [];
  const raw: Array<[string, Array<[string, ConfigValue]>]> = [];
  const rootKeys: string[] = [];
  let current: Array<[string, ConfigValue]> | null = null;
  const fail = (message: string, index: number): void => {
    errors.push({ message: `${message} at line ${index + 1}.`, line: index + 1 });
  };

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const sline = pyStrip(line);
    if (sline === '' || sline.startsWith('#')) continue;

    const marker = SECTION_MARKER_RE.exec(line);
    if (marker != null) {
      const depth = count(marker[2], '[');
      if (depth !== count(marker[4], ']')) {
        fail('Cannot compute the section depth', index);
        continue;
      }
      if (depth !== 1) {
        // configobj would build a subsection; DVC's schema has none, so refuse it here.
        fail('Section too nested', index);
        continue;
      }
      const name = unquote(marker[3]);
      if (raw.some(([existing]) => existing === name)) {
        fail('Duplicate section name', index);
        continue;
      }
      current = [];
      raw.push([name, current]);
      continue;
    }

    const keyword = KEYWORD_RE.exec(line);
    if (keyword == null) {
      fail(`Invalid line (${pyStrRepr(line)}) (matched as neither section nor keyword)`, index);
      continue;
    }
    let value: ConfigValue;
    const rawValue = keyword[3];
    try {
      if (rawValue.startsWith('"""') || rawValue.startsWith("'''")) {
        const result = multiline(rawValue, lines, index);
        value = result.value;
        index = result.index;
      } else {
        value = handleValue(rawValue);
      }
    } catch (error) {
      if (!(error instanceof ValueSyntaxError)) throw error;
      fail(error.message, index);
      continue;
    }
    let key: string;
    try {
      key = unquote(keyword[2]);
    } catch {
      fail('Parse error in value', index);
      continue;
    }
    const target = current;
    if (target == null) {
      if (rootKeys.includes(key)) fail('Duplicate keyword name', index);
      else rootKeys.push(key);
      continue;
    }
    if (target.some(([existing]) => existing === key)) {
      fail('Duplicate keyword name', index);
      continue;
    }
    target.push([key, value]);
  }

  if (errors.length > 0) {
    const first = errors[0];
    const message =
      errors.length > 1
        ? `Parsing failed with several errors. First error at line ${first.line}`
        : first.message.replace(/\.$/, '');
    throw new SluiceError('CONFIG', configErrorMessage(`${message} of '${file}'.`));
  }
  if (rootKeys.length > 0) {
    throw new SluiceError(
      'CONFIG',
      configErrorMessage(`extra keys not allowed @ data[${pyStrRepr(rootKeys[0].toLowerCase())}]`),
    );
  }

  // dvc/config.py: _lower_keys (later duplicates win, first position kept), then _parse_named.
  const data: ConfigData = {};
  for (const [rawName, entries] of raw) {
    const lowered = rawName.toLowerCase();
    const named = parseNamedSection(lowered);
    const name = named == null ? lowered : namedSection(named.kind, named.name);
    const section: ConfigSection = {};
    for (const [key, value] of entries) section[key.toLowerCase()] = value;
    data[name] = section;
  }
  return data;
}

/** The text DVC prints for a ConfigError (`configuration error - config file error: ...`). */
export function configErrorMessage(detail: string): string {
  return `configuration error - config file error: ${detail}`;
}

function handleValue(value: string): ConfigValue {
  const match = VALUE_RE.exec(value);
  if (match == null) throw new ValueSyntaxError('Parse error in value');
  const listValues = match[1];
  let single: string | undefined = match[2];
  const emptyList = match[3];
  if (single === undefined && listValues === '') {
    // JavaScript refuses an empty match for an optional group where Python's `re` takes it (the
    // `(?<!,)` "empty value" branch), so recreate Python's result.
    single = '';
  }
  if (listValues === '' && single === undefined) throw new ValueSyntaxError('Parse error in value');
  if (emptyList !== undefined) return [];
  if (single !== undefined) {
    if (listValues !== undefined && listValues !== '' && single === '') {
      // A trailing comma: the regex matched an empty last item.
      single = undefined;
    } else {
      single = unquote(single === '' ? '""' : single);
    }
  }
  if (listValues === undefined || listValues === '') return single ?? '';
  const list = [...listValues.matchAll(LIST_VALUE_RE)].map((m) => unquote(m[1]));
  if (single !== undefined) list.push(single);
  return list;
}

function multiline(
  value: string,
  lines: string[],
  start: number,
): { value: string; index: number } {
  const quot = value.slice(0, 3);
  const [singleLine, multiLine] = TRIPLE_QUOTE[quot];
  const one = singleLine.exec(value);
  if (one != null) return { value: one[1], index: start };
  let newValue = value.slice(3);
  if (newValue.includes(quot)) throw new ValueSyntaxError('Parse error in multiline value');
  let index = start;
  let line: string | undefined;
  while (index < lines.length - 1) {
    index++;
    newValue += '\n';
    line = lines[index]!;
    if (!line.includes(quot)) newValue += line;
    else break;
  }
  if (line === undefined || !line.includes(quot)) {
    throw new ValueSyntaxError('Parse error in multiline value');
  }
  const last = multiLine.exec(line);
  if (last == null) throw new ValueSyntaxError('Parse error in multiline value');
  return { value: newValue + last[1], index };
}

function unquote(value: string): string {
  if (value === '') throw new ValueSyntaxError('Parse error in value');
  const first = value[0];
  if (first === value[value.length - 1] && (first === '"' || first === "'")) {
    return value.slice(1, -1);
  }
  return value;
}

function count(text: string, ch: string): number {
  let n = 0;
  for (const c of text) if (c === ch) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Writing

const WSPACE_PLUS = ' \r\n\v\t\'"';

/** configobj's `_quote`. Throws when configobj itself could not write the value. */
export function quoteConfigValue(value: ConfigValue, multilineAllowed = true): string {
  if (Array.isArray(value)) {
    if (!multilineAllowed) throw unquotable(String(value));
    if (value.length === 0) return ',';
    if (value.length === 1) return quoteConfigValue(value[0], false) + ',';
    return value.map((v) => quoteConfigValue(v, false)).join(', ');
  }
  if (value === '') return '""';
  const hasSingle = value.includes("'");
  const hasDouble = value.includes('"');
  const needTriple = multilineAllowed && ((hasSingle && hasDouble) || value.includes('\n'));
  let quot: string;
  if (!needTriple) {
    if (value.includes('\n')) throw unquotable(value);
    if (
      !WSPACE_PLUS.includes(value[0]) &&
      !WSPACE_PLUS.includes(value[value.length - 1]) &&
      !value.includes(',')
    ) {
      quot = '%s';
    } else {
      quot = singleQuote(value);
    }
  } else {
    if (value.includes('"""') && value.includes("'''")) throw unquotable(value);
    quot = value.includes('"""') ? '"""%s"""' : "'''%s'''";
  }
  if (quot === '%s' && value.includes('#')) quot = singleQuote(value);
  return quot.replace('%s', () => value);
}

function singleQuote(value: string): string {
  if (value.includes("'") && value.includes('"')) throw unquotable(value);
  return value.includes('"') ? "'%s'" : '"%s"';
}

function unquotable(value: string): SluiceError {
  return new SluiceError('CONFIG', configErrorMessage(`Value "${value}" cannot be safely quoted.`));
}

/**
 * The bytes `_save_config` writes: plain sections in order (empty ones dropped), then named
 * sections (remote, machine, db; kept even when empty), 4-space indented `key = value` lines.
 * An empty config is a single newline, as configobj writes it.
 */
export function serializeConfigObj(data: ConfigData): string {
  const out: string[] = [];
  const named: Record<NamedSectionKind, string[]> = { remote: [], machine: [], db: [] };
  const writeSection = (name: string): void => {
    out.push(`[${quoteConfigValue(name, false)}]`);
    for (const [key, value] of Object.entries(data[name])) {
      out.push(`    ${quoteConfigValue(key, false)} = ${quoteConfigValue(value)}`);
    }
  };
  for (const [name, section] of Object.entries(data)) {
    const parsed = parseNamedSection(name);
    if (parsed != null) named[parsed.kind].push(name);
    else if (Object.keys(section).length > 0) writeSection(name);
  }
  for (const kind of NAMED_SECTION_KINDS) named[kind].forEach(writeSection);
  return out.join('\n') + '\n';
}
