import { describe, expect, it } from 'vitest';
import {
  extractMetrics,
  extractXpath,
  flattenMetrics,
  loadStructuredFile,
  MetricsFileError,
  parseMetricsFile,
  parsePyJson,
} from '../../../../src/core/7-metafiles/metricsFile.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('loadStructuredFile', () => {
  it('JSON keeps floats as floats, accepts NaN/Infinity, last duplicate wins', () => {
    const data = parsePyJson(
      'm.json',
      '{"a": 1.0, "a": 2, "f": 1E2, "g": 0.5, "n": NaN, "i": -Infinity, "u": "\\u00e9\\n"}',
    );
    expect(data).toEqual({ a: 2, f: new PyFloat(100), g: 0.5, n: NaN, i: -Infinity, u: 'é\n' });
    expect(Object.keys(data as object)).toEqual(['a', 'f', 'g', 'n', 'i', 'u']);
  });

  it('JSON errors are one-line DVC-style messages', () => {
    expect(() => loadStructuredFile('m.json', b('{"a": }'))).toThrow(
      "unable to read: 'm.json', JSON file structure is corrupted",
    );
    expect(() => loadStructuredFile('m.json', b('{"a": 1} x'))).toThrow(MetricsFileError);
    expect(() => loadStructuredFile('m.json', Buffer.from([0x7b, 0x00, 0xff]))).toThrow(
      /JSON file structure is corrupted/,
    );
  });

  it('YAML: integral floats are PyFloat, ints stay ints, anything unknown is YAML', () => {
    expect(
      loadStructuredFile('m.yaml', b('a: 1.0\nb: 1\nc: 1e3\nd: 2.5\ne: [1, 2]\nf: null\n')),
    ).toEqual({
      a: new PyFloat(1),
      b: 1,
      c: new PyFloat(1000),
      d: 2.5,
      e: [1, 2],
      f: null,
    });
    expect(loadStructuredFile('m.yml', b('1\n'))).toBe(1);
    // DVC 3 reads .csv through the YAML loader too: a multi-line plain scalar.
    expect(loadStructuredFile('m.csv', b('acc,loss\n0.5,0.25\n'))).toBe('acc,loss 0.5,0.25');
    expect(() => loadStructuredFile('m.tsv', b('acc\tloss\n0.5\t0.25\n'))).toThrow(
      /YAML file structure is corrupted/,
    );
    expect(() => loadStructuredFile('m.yaml', b('a: 1\na: 2\n'))).toThrow(MetricsFileError);
  });

  it('TOML: ints, floats, dates', () => {
    const data = loadStructuredFile(
      'm.toml',
      b('a = 1\nf = 1.0\n[t]\nb = 2.5\nd = 1979-05-27T07:32:00Z\n'),
    );
    expect(data).toMatchObject({ a: 1, f: new PyFloat(1), t: { b: 2.5 } });
    expect(extractMetrics(data)).toEqual({ a: 1, f: new PyFloat(1), t: { b: 2.5 } });
  });

  it('Python: top-level assignments and class attributes', () => {
    const data = loadStructuredFile(
      'm.py',
      b('import os\nx = 1\ny = 2.0\nz = "s"\nw = True\nclass C:\n    k = 3\nl = [1]\n'),
    );
    expect(extractMetrics(data)).toEqual({ x: 1, y: new PyFloat(2), z: 's', w: true, C: { k: 3 } });
  });
});

describe('parseMetricsFile / extractMetrics / flattenMetrics', () => {
  it('keeps only int/float/bool/str leaves, drops lists, null and empty mappings', () => {
    const data = parseMetricsFile(
      'metrics.json',
      b(
        '{"a": 0.1, "b": {"ad": 1, "e": {}, "l": [1]}, "lst": [1, {"x": 3}], "s": "str", "t": true, "n": null}',
      ),
    );
    expect(data).toEqual({ a: 0.1, b: { ad: 1 }, s: 'str', t: true });
    expect(flattenMetrics(data)).toEqual({ a: 0.1, 'b.ad': 1, s: 'str', t: true });
  });

  it('a bare scalar is the unnamed metric; falsy content is {}', () => {
    expect(parseMetricsFile('m.yaml', b('3\n'))).toBe(3);
    expect(flattenMetrics(3)).toEqual({ '': 3 });
    expect(parseMetricsFile('m.yaml', b('0\n'))).toEqual({});
    expect(parseMetricsFile('m.yaml', b(''))).toEqual({});
    expect(parseMetricsFile('m.yaml', b('[1, 2]\n'))).toEqual({});
  });

  it('flattens like flatten_dict: lists are leaves, empty dicts vanish', () => {
    expect(flattenMetrics({ a: {}, b: { c: {}, d: [1] }, e: null })).toEqual({
      'b.d': [1],
      e: null,
    });
  });
});

describe('extractXpath (0.x typed metrics)', () => {
  it('raw returns the trimmed text', () => {
    expect(extractXpath('raw', 'ignored', '  0.9 \n')).toBe('0.9');
    expect(extractXpath(undefined, undefined, '0.9\n')).toBe('0.9');
  });

  it('json uses a JSONPath subset and returns the matches', () => {
    const text = '{"accuracy": 0.9, "a": {"b": [1, 2]}, "m": {"x": 1, "y": 2}}';
    expect(extractXpath('json', 'accuracy', text)).toEqual([0.9]);
    expect(extractXpath('json', '$.a.b[1]', text)).toEqual([2]);
    expect(extractXpath('json', 'm.*', text)).toEqual([1, 2]);
    expect(extractXpath('json', 'missing', text)).toEqual([]);
  });

  it('csv/tsv take row,col indices', () => {
    const text = '0.1,0.2\n0.3,0.4\n';
    expect(extractXpath('csv', '1,0', text)).toEqual(['0.3']);
    expect(extractXpath('csv', ',1', text)).toEqual(['0.2', '0.4']);
    expect(extractXpath('csv', '0', text)).toEqual(['0.1', '0.2']);
    expect(extractXpath('tsv', '0,1', '1\t2\n')).toEqual(['2']);
  });

  it('hcsv/htsv take row,column-name', () => {
    const text = 'acc,loss\n0.5,0.25\n0.6,0.2\n';
    expect(extractXpath('hcsv', '0,acc', text)).toEqual(['0.5']);
    expect(extractXpath('hcsv', ',loss', text)).toEqual(['0.25', '0.2']);
    expect(extractXpath('hcsv', '1', text)).toEqual(['0.6', '0.2']);
    expect(extractXpath('htsv', '0,b', 'a\tb\n1\t2\n')).toEqual(['2']);
  });
});
