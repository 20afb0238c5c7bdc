/**
 * A port of ruamel.yaml's emitter (emitter.py) as DVC's dumper drives it: block style only plus
 * empty flow collections, indent 2, sequences not indented, width 80.
 */
import { analyzeScalar, BREAKS, type Analysis } from './scalarAnalysis.js';
import { mappingEntries, scalarEvent, type Mapping, type ScalarEvent } from './scalarEvent.js';

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
export const BEST_INDENT = 2;

export class Emitter {
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
