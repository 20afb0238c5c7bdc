import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const example = resolve(import.meta.dirname, '../../../examples/digits');
const outputs = [
  'data/norm_params.json',
  'data/processed_train_data.npy',
  'data/processed_test_data.npy',
  'data/model.pkl',
  'metrics/train_metric.json',
  'metrics/eval.json',
];

const dirs: string[] = [];

/** A fresh copy of the example project, without any output a previous run left behind. */
function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-digits-'));
  dirs.push(dir);
  cpSync(example, dir, { recursive: true });
  for (const out of outputs) rmSync(join(dir, out), { force: true });
  rmSync(join(dir, 'metrics'), { recursive: true, force: true });
  return dir;
}

function runStages(dir: string): void {
  for (const script of ['featurization', 'train_model', 'eval']) {
    execFileSync(process.execPath, [`code/${script}.mjs`], { cwd: dir, stdio: 'pipe' });
  }
}

function readOutputs(dir: string): Map<string, Buffer> {
  return new Map(outputs.map((out) => [out, readFileSync(join(dir, out))]));
}

function accuracy(dir: string, metric: string): number {
  const parsed = JSON.parse(readFileSync(join(dir, metric), 'utf8')) as { accuracy: number };
  return parsed.accuracy;
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

/** Parses a .npy v1.0 header independently of code/npy.mjs. */
function npyHeader(buf: Buffer): NpyHeader {
  expect(buf.subarray(0, 6).equals(Buffer.from('\x93NUMPY', 'latin1'))).toBe(true);
  expect([buf[6], buf[7]]).toEqual([1, 0]);
  const len = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + len);
  expect(header.endsWith('\n')).toBe(true);
  expect((10 + len) % 64).toBe(0);
  const m =
    /^\{'descr': '([^']+)', 'fortran_order': (True|False), 'shape': \(([^)]*)\), \} *\n$/.exec(
      header,
    );
  expect(m).not.toBeNull();
  const [, descr = '', fortran, shape = ''] = m ?? [];
  return {
    descr,
    fortranOrder: fortran === 'True',
    shape: shape
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(Number),
    dataOffset: 10 + len,
  };
}

describe('examples/digits stages', () => {
  let first: string;
  let firstOutputs: Map<string, Buffer>;

  beforeAll(() => {
    first = copyExample();
    runStages(first);
    firstOutputs = readOutputs(first);
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes float32 .npy matrices with the label in column 0', () => {
    const csvRows = (name: string): number[][] =>
      readFileSync(join(example, 'data', name), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split(',').map(Number));
    for (const [npy, csv] of [
      ['data/processed_train_data.npy', 'train_data.csv'],
      ['data/processed_test_data.npy', 'test_data.csv'],
    ] as const) {
      const buf = firstOutputs.get(npy) ?? Buffer.alloc(0);
      const rows = csvRows(csv);
      const h = npyHeader(buf);
      expect(h.descr).toBe('<f4');
      expect(h.fortranOrder).toBe(false);
      expect(h.shape).toEqual([rows.length, 65]);
      expect(buf.length).toBe(h.dataOffset + rows.length * 65 * 4);
      const labels = rows.map((_, i) => buf.readFloatLE(h.dataOffset + i * 65 * 4));
      expect(labels).toEqual(rows.map((r) => r[0]));
    }
  });

  it('writes the normalisation parameters', () => {
    const norm = JSON.parse(firstOutputs.get('data/norm_params.json')?.toString() ?? '') as {
      mean: number[];
      std: number[];
    };
    expect(norm.mean).toHaveLength(64);
    expect(norm.std).toHaveLength(64);
    expect(norm.std.every((s) => s > 0)).toBe(true);
  });

  it('reaches at least 90% accuracy on the test set', () => {
    expect(accuracy(first, 'metrics/eval.json')).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(first, 'metrics/train_metric.json')).toBeGreaterThanOrEqual(0.9);
    expect(firstOutputs.get('metrics/eval.json')?.toString()).toMatch(/^\{"accuracy": 0\.\d+\}\n$/);
  });

  it('is deterministic: a second run gives identical bytes', () => {
    const second = copyExample();
    runStages(second);
    const secondOutputs = readOutputs(second);
    for (const out of outputs) {
      expect(secondOutputs.get(out)?.equals(firstOutputs.get(out) ?? Buffer.alloc(0)), out).toBe(
        true,
      );
    }
  });

  it('reads its hyper-parameters from params.yaml', () => {
    const dir = copyExample();
    const params = readFileSync(join(dir, 'params.yaml'), 'utf8');
    expect(params).toMatch(/^ {2}epochs: 10$/m);
    writeFileSync(join(dir, 'params.yaml'), params.replace(/epochs: 10/, 'epochs: 2'));
    runStages(dir);
    const model = readFileSync(join(dir, 'data/model.pkl'));
    expect(model.equals(firstOutputs.get('data/model.pkl') ?? Buffer.alloc(0))).toBe(false);
    expect(JSON.parse(model.toString())).toMatchObject({ params: { epochs: 2 } });
  });

  it('uses the defaults when params.yaml is missing', () => {
    const dir = copyExample();
    rmSync(join(dir, 'params.yaml'));
    runStages(dir);
    expect(
      readFileSync(join(dir, 'data/model.pkl')).equals(
        firstOutputs.get('data/model.pkl') ?? Buffer.alloc(0),
      ),
    ).toBe(true);
  });
});
