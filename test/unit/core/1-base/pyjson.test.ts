import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, pyFloatRepr, PyFloat } from '../../../../src/core/1-base/python.js';
import { pyJsonDumps } from '../../../../src/core/1-base/pyjson.js';

describe('pyJsonDumps', () => {
  it('matches the doc test vectors', () => {
    const text = pyJsonDumps([{ md5: '1cb251ec0d568de6a929b520c4aed8d1', relpath: 'file' }]);
    expect(text).toBe('[{"md5": "1cb251ec0d568de6a929b520c4aed8d1", "relpath": "file"}]');
    expect(createHash('md5').update(text).digest('hex')).toBe('0dab3fae569586d4c33272e5011605bf');
    expect(createHash('md5').update(pyJsonDumps([])).digest('hex')).toBe(
      'd751713988987e9331980363e24189ce',
    );
  });

  it('formats scalars like Python', () => {
    expect(pyJsonDumps(new PyFloat(1))).toBe('1.0');
    expect(pyJsonDumps(1)).toBe('1');
    expect(pyJsonDumps(1e-5)).toBe('1e-05');
    expect(pyJsonDumps(new PyFloat(1e16))).toBe('1e+16');
    expect(pyJsonDumps(1e21)).toBe('1000000000000000000000');
    expect(pyJsonDumps(NaN)).toBe('NaN');
    expect(pyJsonDumps(-Infinity)).toBe('-Infinity');
    expect(pyJsonDumps('é/\u{1f600}\x00"\\')).toBe('"\\u00e9/\\ud83d\\ude00\\u0000\\"\\\\"');
    expect(pyJsonDumps({ b: [true, null], a: {} })).toBe('{"a": {}, "b": [true, null]}');
  });

  it('repr of floats', () => {
    expect(pyFloatRepr(0.1)).toBe('0.1');
    expect(pyFloatRepr(123)).toBe('123.0');
    expect(pyFloatRepr(1.5e20)).toBe('1.5e+20');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(9999999999999998)).toBe('9999999999999998.0');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    expect(pyFloatRepr(5e-324)).toBe('5e-324');
  });

  it('sorts by code point', () => {
    expect(['\u{1f600}', '\uffff', 'a'].sort(compareCodePoints)).toEqual([
      'a',
      '\uffff',
      '\u{1f600}',
    ]);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'a')).toBe(0);
  });
});
