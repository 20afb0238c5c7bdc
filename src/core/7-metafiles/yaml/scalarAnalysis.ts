/**
 * ruamel's `analyze_scalar` (emitter.py): which styles (plain, single- or double-quoted) can
 * write a scalar's text.
 */

export interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
  allowDoubleQuoted: boolean;
}

const WS = '\0 \t\r\n\x85\u2028\u2029';
export const BREAKS = '\n\x85\u2028\u2029';

function isPrintableUnicode(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return (
    (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000) &&
    c !== 0xfeff
  );
}

export function analyzeScalar(scalar: string): Analysis {
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
