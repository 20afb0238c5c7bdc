import { chmodSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, sluice, sluiceOk } from '../helpers/sandbox.js';
import { cacheObject, FILES, md5, objectPath, trackedRepo } from '../helpers/trackedData.js';

afterAll(cleanupSandboxes);

/** Overwrites an object in place, as a disk fault or a write through a hard link would. */
function corrupt(path: string): void {
  // One byte changed, the size kept: what a disk fault looks like.
  const bytes = readFileSync(path);
  bytes[0] = (bytes[0] ?? 0) ^ 0x20;
  chmodSync(path, 0o644);
  writeFileSync(path, bytes);
  chmodSync(path, 0o444);
}

describe('sluice fsck', () => {
  it('finds corrupted, truncated and temporary objects; --repair fixes from the workspace', () => {
    const { repo } = trackedRepo();
    const bad = md5(FILES['data/x.csv']);
    const short = md5(FILES['images/a.txt']);
    corrupt(cacheObject(repo, bad));
    const truncated = cacheObject(repo, short);
    chmodSync(truncated, 0o644);
    truncateSync(truncated, 3);
    chmodSync(truncated, 0o444);
    const temp = join(
      repo,
      '.dvc',
      'cache',
      'files',
      'md5',
      bad.slice(0, 2),
      '.leftover.99999999.ab12.tmp',
    );
    writeFileSync(temp, 'half');

    const found = sluice(repo, 'fsck');
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`corrupted: ${bad.slice(0, 2)}/${bad.slice(2)} (data/x.csv)`);
    expect(found.stdout).toContain(`truncated: ${short.slice(0, 2)}/${short.slice(2)}`);
    expect(found.stdout).toContain('temporary file:');
    expect(found.stdout).toMatch(/3 problems/);

    const json = sluice(repo, 'fsck', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      checked: number;
      problems: Array<{ kind: string; oid?: string; where: string }>;
    };
    expect(report.problems.map((p) => p.kind).sort()).toEqual([
      'corrupted',
      'temporary',
      'truncated',
    ]);
    expect(report.checked).toBeGreaterThanOrEqual(6);

    const repaired = sluice(repo, 'fsck', '--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('repaired from the workspace');
    expect(readFileSync(cacheObject(repo, bad), 'utf8')).toBe(FILES['data/x.csv']);
    expect(readFileSync(cacheObject(repo, short), 'utf8')).toBe(FILES['images/a.txt']);
    expect(existsSync(temp)).toBe(false);
    expect(sluice(repo, 'fsck').code).toBe(0);
  });

  it('checks a local remote, repairs the cache from it, and the remote from the cache', () => {
    const { repo, storage } = trackedRepo();
    sluiceOk(repo, 'push');
    const bad = md5(FILES['data/y.csv']);
    // The workspace copy changed too, so only the remote holds the right bytes.
    corrupt(cacheObject(repo, bad));
    rmSync(join(repo, 'data', 'y.csv'), { force: true });
    writeFileSync(join(repo, 'data', 'y.csv'), 'edited\n');
    const remoteBad = md5(FILES['images/c.txt']);
    corrupt(objectPath(storage, remoteBad));

    const local = sluice(repo, 'fsck');
    expect(local.code).toBe(1);
    expect(local.stdout).toContain('corrupted:');
    const remote = sluice(repo, 'fsck', '-r', 'storage');
    expect(remote.code).toBe(1);
    expect(remote.stdout).toContain(
      `corrupted on remote 'storage': files/md5/${remoteBad.slice(0, 2)}/${remoteBad.slice(2)}`,
    );
    // A later push from a correct cache does not look at what the remote holds.
    expect(sluiceOk(repo, 'push').stdout).toBe('Everything is up to date.\n');

    const repaired = sluice(repo, 'fsck', '-r', 'storage', '--repair');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('repaired from remote');
    expect(repaired.stdout).toContain('uploaded again');
    expect(readFileSync(cacheObject(repo, bad), 'utf8')).toBe(FILES['data/y.csv']);
    expect(readFileSync(objectPath(storage, remoteBad), 'utf8')).toBe(FILES['images/c.txt']);
    expect(sluice(repo, 'fsck', '-r', 'storage').code).toBe(0);
  });
});
