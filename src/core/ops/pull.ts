import type { Repo } from '../repo/repo.js';
import { checkout, type CheckoutResult } from './checkout.js';
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
 * `sluice pull`: fetch, then check the workspace out. Where files are placed as copies, a large
 * download is copied into the workspace's file system while it is verified, and the checkout
 * takes that copy instead of making its own after the download.
 */
export async function pull(repo: Repo, options: PullOptions): Promise<PullResult> {
  let fetched: TransferReport;
  let result: CheckoutResult;
  try {
    fetched = await fetch(repo, { ...options, spareCopies: repo.linker.placesCopies });
    result = checkout(repo, options.targets ?? [], {
      cwd: options.cwd,
      force: options.force === true,
      allowMissing: options.allowMissing === true,
    });
  } finally {
    repo.linker.discardSpares();
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
