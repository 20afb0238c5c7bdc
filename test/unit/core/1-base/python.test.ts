import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  pyEquals,
  PyFloat,
  pyFloatRepr,
  pyIntStr,
  pyIsPrintable,
  pyRepr,
  pyRound,
  pyStr,
  pyStrip,
  pyStrRepr,
  pyTruthy,
  pyTypeName,
} from '../../../../src/core/1-base/python.js';

// Fixed cases; test/oracle/core/1-base/python.test.ts checks the same functions against python3.

describe('repr of str', () => {
  it('picks the quote Python picks', () => {
    expect(pyStrRepr('abc')).toBe("'abc'");
    expect(pyStrRepr("it's")).toBe(`"it's"`);
    expect(pyStrRepr(`'"`)).toBe(`'\\'"'`);
    expect(pyStrRepr('a\\b')).toBe("'a\\\\b'");
  });

  it('escapes what str.isprintable() refuses, \\xa0 and \\xad included', () => {
    expect(pyStrRepr('\t\n\r\x00\x7f')).toBe("'\\t\\n\\r\\x00\\x7f'");
    expect(pyStrRepr('a\xa0b')).toBe("'a\\xa0b'");
    expect(pyStrRepr('soft\xadx')).toBe("'soft\\xadx'");
    expect(pyStrRepr('z\u200bw\u2028\ufeff')).toBe("'z\\u200bw\\u2028\\ufeff'");
    expect(pyStrRepr('\u{e0001}\u{10ffff}')).toBe("'\\U000e0001\\U0010ffff'");
    expect(pyStrRepr('\ud800 \udc80')).toBe("'\\ud800 \\udc80'");
    expect(pyStrRepr('\u0378')).toBe("'\\u0378'"); // unassigned
    expect(pyStrRepr('é日本\u{1f600} \u3000')).toBe("'é日本\u{1f600} \\u3000'");
  });

  it('isprintable per code point', () => {
    expect([0x20, 0x7e, 0xa1, 0xe9, 0x1f600].map(pyIsPrintable)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([0x1f, 0x7f, 0xa0, 0xad, 0x85, 0xfeff, 0xe000, 0xd800].map(pyIsPrintable)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('strip', () => {
  it('strips Python whitespace, which is not JavaScript’s \\s', () => {
    expect(pyStrip('\x1c\x1f \t a b \x85\u3000\n')).toBe('a b');
    expect(pyStrip('\ufeffa\ufeff')).toBe('\ufeffa\ufeff');
    expect(pyStrip('\u200ba')).toBe('\u200ba');
  });
});

describe('numbers', () => {
  it('repr of float', () => {
    expect([1, 0.1, 1e16, 1e-5, 1.5e20, -0, NaN, -Infinity].map(pyFloatRepr)).toEqual([
      '1.0',
      '0.1',
      '1e+16',
      '1e-05',
      '1.5e+20',
      '-0.0',
      'nan',
      '-inf',
    ]);
  });

  it('str of int and round', () => {
    expect(pyIntStr(1e21)).toBe('1000000000000000000000');
    expect(pyIntStr(2n ** 70n)).toBe('1180591620717411303424');
    expect(pyRound(0.015625, 5)).toBe(0.01562);
    expect(pyRound(2.5, 0)).toBe(2);
    expect(pyRound(1250, -2)).toBe(1200);
  });
});

describe('values', () => {
  it('repr and str', () => {
    expect(pyRepr([1, new PyFloat(2), 0.5, true, null, 'a\xa0', { "k'": [] }])).toBe(
      `[1, 2.0, 0.5, True, None, 'a\\xa0', {"k'": []}]`,
    );
    expect(pyRepr(2n ** 64n)).toBe('18446744073709551616');
    expect(pyStr('a\xa0')).toBe('a\xa0');
    expect(pyStr(['a\xa0'])).toBe("['a\\xa0']");
  });

  it('==', () => {
    expect(pyEquals(1, new PyFloat(1))).toBe(true);
    expect(pyEquals(true, 1)).toBe(true);
    expect(pyEquals(NaN, NaN)).toBe(false);
    expect(pyEquals(2n ** 53n + 1n, 2 ** 53)).toBe(false);
    expect(pyEquals(2n ** 53n, new PyFloat(2 ** 53))).toBe(true);
    expect(pyEquals({ a: 1, b: [1] }, { b: [true], a: 1 })).toBe(true);
    expect(pyEquals(null, undefined)).toBe(true);
    expect(pyEquals('1', 1)).toBe(false);
  });

  it('truthiness and type names', () => {
    expect([0, 0n, new PyFloat(0), '', [], {}, null, false].map(pyTruthy)).toEqual(
      Array<boolean>(8).fill(false),
    );
    expect([NaN, 1n, ' ', [0], { a: null }].map(pyTruthy)).toEqual(Array<boolean>(5).fill(true));
    expect([null, 1, 1.5, 1n, new PyFloat(1), 's', [], {}].map(pyTypeName)).toEqual([
      'NoneType',
      'int',
      'float',
      'int',
      'float',
      'str',
      'list',
      'dict',
    ]);
  });

  it('orders str by code point', () => {
    expect(['\uffff', '\u{10000}', 'a'].sort(compareCodePoints)).toEqual([
      'a',
      '\uffff',
      '\u{10000}',
    ]);
  });
});
