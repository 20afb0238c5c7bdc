import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from '../../6-repo/repo.js';
import { checkout, type CheckoutResult } from '../data/checkout.js';
import { fetch } from './fetch.js';
import type { TransferOptions, TransferReport } from './push.js';

export interface PullOptions extends TransferOptions {
  force?: boolean;
  allowMissing?: boolean;
}

export interface PullResult {
  fetched: TransferReport;
  checkout: CheckoutResult;
  /** Files changed, as DVC counts them for the summary (an added folder counts its files). */
  counts: { modified: number; added: number; deleted: number };
}

/**
 * `sluice pull`: fetch, then check the workspace out. Where files are placed as copies, each
 * download whose workspace file is missing is copied a second time while it is fetched (in the
 * thread pool, side by side with the others), and the checkout renames that copy into place
 * instead of copying each object again, one after the other, once all are fetched. The copies
 * wait in `.dvc/tmp/sluice/spares`, on the workspace's file system; what a killed pull left
 * there goes at the next one (the repo lock keeps two pulls apart).
 */
export async function pull(repo: Repo, options: PullOptions): Promise<PullResult> {
  let fetched: TransferReport;
  let result: CheckoutResult;
  const spares = join(repo.tmpDir, 'sluice', 'spares');
  rmSync(spares, { recursive: true, force: true });
  try {
    const spareCopies = repo.linker.placesCopies
      ? { dir: spares, wanted: (path: string) => !existsSync(repo.abs(path)) }
      : undefined;
    if (spareCopies !== undefined) mkdirSync(spares, { recursive: true });
    fetched = await fetch(repo, { ...options, ...(spareCopies ? { spareCopies } : {}) });
    result = checkout(repo, options.targets ?? [], {
      cwd: options.cwd,
      force: options.force === true,
      allowMissing: options.allowMissing === true,
    });
  } finally {
    repo.linker.discardSpares();
    rmSync(spares, { recursive: true, force: true });
  }
  const filesIn = (shown: string): number => {
    if (!shown.endsWith('/')) return 1;
    const path = shown.slice(0, -1);
    const recorded = repo.links.get(path)?.dirHash;
    if (recorded === undefined) return 1;
    try {
      const entries =
        repo.odb.readDir(recorded, 'md5') ?? repo.odb.readDir(recorded, 'md5-dos2unix');
      return Math.max(1, entries?.length ?? 1);
    } catch {
      return 1;
    }
  };
  const sum = (paths: string[]): number => paths.reduce((n, p) => n + filesIn(p), 0);
  return {
    fetched,
    checkout: result,
    // A modified folder counts as one file: the checkout does not report which files changed.
    counts: {
      modified: result.modified.length,
      added: sum(result.added),
      deleted: result.deleted.length,
    },
  };
}
