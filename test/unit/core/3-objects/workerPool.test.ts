import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as sourcePool from '../../../../src/core/3-objects/workerPool.js';
import { projectRoot } from '../../../helpers/sandbox.js';

type PoolModule = typeof sourcePool;
const { batchBySize } = sourcePool;

/** The pool needs the built worker script: load the compiled module, as the CLI does. */
async function builtPool(): Promise<PoolModule> {
  const compiled = join(projectRoot, 'dist', 'core', '3-objects', 'workerPool.js');
  if (!existsSync(compiled)) throw new Error('dist/ is missing: run `npm run build` first');
  return (await import(pathToFileURL(compiled).href)) as PoolModule;
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

describe('batchBySize', () => {
  it('keeps order, caps files per batch and closes a batch once it reaches the byte budget', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(batchBySize(items, () => 1, 4)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batchBySize(items, (i) => (i === 2 ? 100 : 1), 100, 50)).toEqual([
      [0, 1, 2],
      [3, 4, 5, 6, 7, 8, 9],
    ]);
    expect(batchBySize([], () => 1)).toEqual([]);
  });
});

describe('runHashBatches (real worker threads)', () => {
  it('hashes every file of every batch, in order', async () => {
    const pool = await builtPool();
    const paths: string[] = [];
    for (let i = 0; i < 40; i++) {
      const path = join(dir, `h${i}`);
      writeFileSync(path, `content ${i}`.repeat(i));
      paths.push(path);
    }
    const batches = batchBySize(paths, () => 1, 7).map((batch) => ({
      op: 'hash' as const,
      paths: batch,
    }));
    const seen: number[] = [];
    const results = await pool.runHashBatches(batches, (index) => seen.push(index));
    expect(results?.flat()).toEqual(paths.map((p) => md5(readFileSync(p))));
    expect(seen.sort((a, b) => a - b)).toEqual(batches.map((_, i) => i));
  });

  it('stores files as read-only cache objects named by their md5', async () => {
    const pool = await builtPool();
    const cacheDir = join(dir, 'cache');
    const source = join(dir, 'store-me');
    writeFileSync(source, 'stored by a worker');
    const [hashes] = (await pool.runHashBatches([
      { op: 'store', cacheDir, hardlink: false, paths: [source, source] },
    ])) ?? [[]];
    const oid = md5('stored by a worker');
    expect(hashes).toEqual([oid, oid]);
    const object = join(cacheDir, 'files', 'md5', oid.slice(0, 2), oid.slice(2));
    expect(readFileSync(object, 'utf8')).toBe('stored by a worker');
    expect(statSync(object).mode & 0o777).toBe(0o444);
  });

  it('a failing batch rejects with the error (a missing file), and the pool stops', async () => {
    const pool = await builtPool();
    await expect(
      pool.runHashBatches([{ op: 'hash', paths: [join(dir, 'no-such-file')] }]),
    ).rejects.toThrow(/no-such-file/);
  });
});
