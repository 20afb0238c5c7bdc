import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { RunResult } from '../helpers/sandbox.js';

/** Shared checks of the hostile-input, fuzz and secrets tests. */

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** Every path under `root` with what it holds, so any write into it shows as a difference. */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, path);
      const stats = lstatSync(abs);
      if (stats.isSymbolicLink()) out[path] = `link:${readlinkSync(abs)}`;
      else if (stats.isDirectory()) {
        out[path] = 'dir';
        walk(path);
      } else out[path] = `file:${md5(readFileSync(abs))}:${stats.mode & 0o777}`;
    }
  };
  walk('');
  return out;
}

/** Writes `content` as a content-addressed object under `filesRoot` (`…/files/md5`). */
export function putObject(filesRoot: string, content: Buffer | string, oid?: string): string {
  const id = oid ?? md5(content);
  const path = join(filesRoot, id.slice(0, 2), id.slice(2));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return id;
}

/** A `.dir` listing exactly as given (no sorting or escaping), stored under its own md5. */
export function putDirObject(filesRoot: string, json: string): string {
  return putObject(filesRoot, json, `${md5(json)}.dir`);
}

export function errorLines(r: RunResult): string[] {
  return (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('ERROR'));
}

/** Failed (non-zero), with exactly one ERROR line and no stack frames. Returns all output. */
export function expectCleanFailure(r: RunResult): string {
  const all = r.stdout + r.stderr;
  expect(r.code, all).not.toBe(0);
  expect(errorLines(r), all).toHaveLength(1);
  expect(all).not.toMatch(/^\s+at /m);
  return all;
}
