/**
 * `yaml.dump` with DVC's ruamel settings, of a whole document or of one entry at a given column
 * (the round-trip updater splices those into the old text).
 */
import { BEST_INDENT, Emitter } from './emitter.js';

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
export function dumpPairFragment(key: string, value: unknown, column: number): string {
  const e = new Emitter();
  e.indent = column;
  e.indents = [[column === 0 ? null : column - BEST_INDENT, false]];
  e.emitMappingPair(key, value);
  e.indent = null;
  e.writeIndent();
  return e.text().slice(column);
}

/** Text of one `- item` whose dash sits at `column` (no leading spaces, ends with "\n"). */
export function dumpItemFragment(value: unknown, column: number): string {
  const e = new Emitter();
  e.indent = column;
  e.indents = [[column === 0 ? null : column, true]];
  e.emitSequenceItem(value);
  e.indent = null;
  e.writeIndent();
  return e.text().slice(column);
}
