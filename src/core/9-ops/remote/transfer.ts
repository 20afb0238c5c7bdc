import { statSync } from 'node:fs';
import { SluiceError } from '../../1-base/errors.js';
import { RemoteNotFoundError } from '../../4-storage/storage.js';
import { corruptSourceIn } from '../../4-storage/verifiedUpload.js';

/** What every transfer reports and is given: its result, its progress, its retries. */

export interface ObjectProblem {
  path: string;
  oid: string;
  reason: string;
  /** Set when a cache object did not hash to its name, so it was not pushed. */
  corrupted?: true;
}

export interface SyncResult {
  /** Objects transferred (a `.dir` counts as one, as in DVC). */
  transferred: number;
  /** Objects present neither locally nor on the remote. */
  missing: ObjectProblem[];
  /** Transfers that failed (corrupt download, I/O error after retries). */
  failed: ObjectProblem[];
}

export interface SyncProgress {
  /** Called once the number of objects to move is known. */
  total?: (files: number) => void;
  /** Called as objects complete (files) and bytes move. */
  tick?: (files: number, bytes: number) => void;
}

export interface SyncOptions {
  jobs: number;
  progress?: SyncProgress;
  /** Downloads that also leave a copy for the checkout that follows (see SpareCopies). */
  spareCopies?: SpareCopies;
}

/**
 * Second copies of downloads, which `pull`'s checkout renames into the workspace (see
 * `downloadObject`): made in `dir`, for the objects whose workspace path is `wanted`.
 */
export interface SpareCopies {
  dir: string;
  wanted(path: string): boolean;
}

const RETRIES = 3;

/** Retries transient failures with exponential backoff; a missing object is not transient. */
export async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (
        error instanceof RemoteNotFoundError ||
        error instanceof SluiceError ||
        corruptSourceIn(error) !== undefined
      ) {
        throw error;
      }
      if (attempt >= RETRIES) throw error;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
