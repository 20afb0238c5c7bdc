import { describe, expect, it } from 'vitest';
import {
  diffTable,
  formatMetricValue,
  metricsDiff,
  metricsDiffTable,
  metricsShowTable,
  paramsDiff,
  paramsDiffTable,
} from '../../../../../src/core/9-ops/metrics/compare.js';
import type {
  RevisionData,
  RevisionMetrics,
} from '../../../../../src/core/9-ops/metrics/compare.js';
import { PyFloat, pyRound } from '../../../../../src/core/1-base/python.js';

describe('pyRound / formatMetricValue', () => {
  it('rounds like Python round(): ties to even on the exact binary value', () => {
    expect(pyRound(0.015625, 5)).toBe(0.01562);
    expect(pyRound(-0.015625, 5)).toBe(-0.01562);
    expect(pyRound(0.015635, 5)).toBe(0.01563); // 0.0156349999… in binary
    expect(pyRound(0.125, 2)).toBe(0.12);
    expect(pyRound(0.375, 2)).toBe(0.38);
    expect(pyRound(-2.5, 0)).toBe(-2);
    expect(pyRound(2.675, 2)).toBe(2.67);
    expect(pyRound(2.5, 0)).toBe(2);
    expect(pyRound(3.5, 0)).toBe(4);
    expect(pyRound(0.123456789, 5)).toBe(0.12346);
    expect(pyRound(1e20, 5)).toBe(1e20);
  });

  it('formats cells as DVC _format_field', () => {
    expect(formatMetricValue(0.123456789, 5)).toBe('0.12346');
    expect(formatMetricValue(1234.56789, 5)).toBe('1234.56789');
    expect(formatMetricValue(1.2345678e-5, 5)).toBe('1e-05');
    expect(formatMetricValue(1e-7, 5)).toBe('0.0');
    expect(formatMetricValue(-0.000001, 5)).toBe('-0.0');
    expect(formatMetricValue(0.9999999, 5)).toBe('1.0');
    expect(formatMetricValue(new PyFloat(1), 5)).toBe('1.0');
    expect(formatMetricValue(10, 5)).toBe('10');
    expect(formatMetricValue(true, 5)).toBe('True');
    expect(formatMetricValue('str', 5)).toBe('str');
    expect(formatMetricValue(Infinity, 5)).toBe('inf');
    expect(formatMetricValue(NaN, 5)).toBe('nan');
    // No precision (params diff): Python repr.
    expect(formatMetricValue(0.123456789)).toBe('0.123456789');
    expect(formatMetricValue([1, 'a', null, new PyFloat(2)])).toBe("[1, 'a', None, 2.0]");
    expect(formatMetricValue({ a: 0.123456789 }, 3)).toBe("{'a': 0.123}");
  });
});

describe('metricsDiff / paramsDiff (pure)', () => {
  it('scenario 18: a bare scalar file', () => {
    expect(metricsDiff({ 'm.yaml': 1 }, { 'm.yaml': 3 })).toEqual({
      'm.yaml': { '': { old: 1, new: 3, diff: 2 } },
    });
  });

  it('only changed values unless all; diff only between numbers; bools are numbers', () => {
    const old: RevisionData = { 'm.json': { a: 0.1, b: true, s: 'a', n: 3, gone: 1 } };
    const cur: RevisionData = {
      'm.json': { a: 0.3, b: false, s: 'b', n: 3, added: new PyFloat(2) },
    };
    const d = metricsDiff(old, cur);
    expect(d['m.json']).toEqual({
      a: { old: 0.1, new: 0.3, diff: 0.19999999999999998 },
      added: { old: null, new: new PyFloat(2) },
      b: { old: true, new: false, diff: -1 },
      gone: { old: 1, new: null },
      s: { old: 'a', new: 'b' },
    });
    expect(metricsDiff(old, cur, { all: true })['m.json']?.n).toEqual({ old: 3, new: 3, diff: 0 });
    expect(metricsDiff({ f: { x: new PyFloat(1) } }, { f: { x: 1 } })).toEqual({});
    expect(metricsDiff({ f: { x: new PyFloat(1) } }, { f: { x: 3 } }).f?.x?.diff).toEqual(
      new PyFloat(2),
    );
  });

  it('a missing file on one side; scalar vs mapping is "unable to parse"', () => {
    expect(metricsDiff({}, { 'm.json': { a: 1 } })).toEqual({
      'm.json': { a: { old: null, new: 1 } },
    });
    expect(metricsDiff({ 'm.yaml': 2 }, { 'm.yaml': { a: 1 } })).toEqual({
      'm.yaml': { a: { old: 'unable to parse', new: 1 } },
    });
  });

  it('params: lists compare as their Python str', () => {
    const d = paramsDiff(
      { 'params.yaml': { list: [1, 2], l1: [5], same: [1] } },
      { 'params.yaml': { list: [1, 3], l1: [6], same: [1] } },
    );
    expect(d).toEqual({
      'params.yaml': { l1: { old: '[5]', new: '[6]' }, list: { old: '[1, 2]', new: '[1, 3]' } },
    });
  });

  it('builds diff tables', () => {
    const d = metricsDiff(
      { 'metrics.yaml': { a: { b: { c: 1 } }, x: { b: 5 } } },
      { 'metrics.yaml': { a: { b: { c: 2 } }, x: { b: '6' } } },
    );
    expect(metricsDiffTable(d)).toEqual([
      ['Path', 'Metric', 'HEAD', 'workspace', 'Change'],
      ['metrics.yaml', 'a.b.c', '1', '2', '1'],
      ['metrics.yaml', 'x.b', '5', '6', '-'],
    ]);
    expect(
      diffTable(d, {
        title: 'Metric',
        noPath: true,
        showChanges: false,
        aRev: 'v1',
        bRev: 'v2',
      })[0],
    ).toEqual(['Metric', 'v1', 'v2']);
    expect(paramsDiffTable(d)[0]).toEqual(['Path', 'Param', 'HEAD', 'workspace']);
  });

  it('builds the show table', () => {
    const revs: RevisionMetrics[] = [
      { rev: 'branch_1', files: [{ path: 'metrics.json', data: { b: { ad: 1, bc: 2 }, c: 4 } }] },
      { rev: 'branch_2', files: [{ path: 'metrics.json', data: { a: 1, b: { ad: 3, bc: 4 } } }] },
    ];
    expect(metricsShowTable(revs, { showRevision: true })).toEqual([
      ['Revision', 'Path', 'a', 'b.ad', 'b.bc', 'c'],
      ['branch_1', 'metrics.json', '-', '1', '2', '4'],
      ['branch_2', 'metrics.json', '1', '3', '4', '-'],
    ]);
    expect(
      metricsShowTable([{ rev: '', files: [{ path: 'm.yaml', data: 2 }, { path: 'bad.yaml' }] }], {
        showRevision: false,
      }),
    ).toEqual([
      ['Path', ''],
      ['m.yaml', '2'],
      ['bad.yaml', '-'],
    ]);
  });
});
