import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalStorage } from '../../../../src/core/4-storage/backends/local/localStorage.js';
import type { RemoteStorage } from '../../../../src/core/4-storage/storage.js';
import { remoteExisting } from '../../../../src/core/9-ops/remote/remoteExisting.js';

/**
 * How the existence check asks a remote: which prefixes it lists, or which keys it probes. The
 * storage here is an in-memory stand-in that records the requests (the backends themselves are
 * tested against real servers in the other files of this folder).
 */
class RecordingStorage implements RemoteStorage {
  readonly displayUrl = 'memory://';
  readonly listed: string[] = [];
  readonly probed: string[] = [];
  readonly capabilities;

  constructor(
    private readonly keys: Set<string>,
    listPrefixLength: 2 | 3,
  ) {
    this.capabilities = { canList: true, listPrefixLength, defaultJobs: 4 };
  }

  async *list(prefix: string): AsyncIterable<string> {
    this.listed.push(prefix);
    await Promise.resolve();
    for (const key of this.keys) if (key.startsWith(prefix)) yield key;
  }

  exists(key: string): Promise<boolean> {
    this.probed.push(key);
    return Promise.resolve(this.keys.has(key));
  }

  upload(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  download(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  delete(): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const keyOf = (oid: string): string => `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;
const oids = (tag: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => createHash('md5').update(`${tag} ${i}`).digest('hex'));
/** An object whose hash starts with 000, so the size probe (`files/md5/00/0`) sees it. */
const probeHit = (n: number): string => `000${n.toString(16).padStart(29, '0')}`;

describe('remoteExisting', () => {
  it('lists an object store by the first hash character once it holds more than a page', async () => {
    const present = oids('present', 3000).map(keyOf);
    const absent = oids('absent', 2000).map(keyOf);
    const storage = new RecordingStorage(new Set([...present, keyOf(probeHit(1))]), 3);
    const found = await remoteExisting(storage, [...present, ...absent], 8);
    expect([...found].sort()).toEqual([...present].sort());
    expect(storage.listed[0]).toBe('files/md5/00/0');
    expect(storage.listed.slice(1).sort()).toEqual(
      [...'0123456789abcdef'].map((c) => `files/md5/${c}`),
    );
    expect(storage.probed).toEqual([]);
  });

  it('lists a small object store in one request', async () => {
    const present = oids('small', 40).map(keyOf);
    const storage = new RecordingStorage(new Set(present), 3);
    const wanted = [...present.slice(0, 30), ...oids('other', 10).map(keyOf)];
    const found = await remoteExisting(storage, wanted, 8);
    expect([...found].sort()).toEqual(present.slice(0, 30).sort());
    expect(storage.listed).toEqual(['files/md5/00/0', 'files/md5/']);
  });

  it('lists the folders of the wanted objects on a disk-like remote', async () => {
    const present = oids('disk', 50).map(keyOf);
    const storage = new RecordingStorage(new Set(present), 2);
    const found = await remoteExisting(storage, present.slice(0, 20), 4);
    expect([...found].sort()).toEqual(present.slice(0, 20).sort());
    const folders = new Set(present.slice(0, 20).map((k) => k.slice(0, 13)));
    expect(storage.listed.slice(1).sort()).toEqual([...folders].sort());
  });

  it('probes a few objects one by one on a remote too large to list', async () => {
    const big = Array.from({ length: 400 }, (_, i) => keyOf(probeHit(i)));
    const storage = new RecordingStorage(new Set(big), 3);
    const wanted = [big[3] ?? '', keyOf(oids('gone', 1)[0] ?? '')];
    const found = await remoteExisting(storage, wanted, 4);
    expect([...found]).toEqual([big[3]]);
    expect(storage.listed).toEqual(['files/md5/00/0']);
    expect(storage.probed.sort()).toEqual([...wanted].sort());
  });

  it('reads the whole files/md5 folder of a local remote at once when most folders are wanted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-existing-'));
    try {
      const present = oids('local', 2000).map(keyOf);
      for (const key of present) {
        mkdirSync(join(root, key, '..'), { recursive: true });
        writeFileSync(join(root, key), key);
      }
      // An upload in progress is not an object.
      writeFileSync(join(root, 'files', 'md5', '00', '.upload.tmp'), 'partial');
      const storage = new LocalStorage(root, root);
      const calls: string[] = [];
      const listAll = storage.listAll.bind(storage);
      storage.listAll = (prefix: string): Promise<string[]> => {
        calls.push(prefix);
        return listAll(prefix);
      };
      const wanted = [...present.slice(0, 1500), ...oids('missing', 500).map(keyOf)];
      const found = await remoteExisting(storage, wanted, 4);
      expect([...found].sort()).toEqual(present.slice(0, 1500).sort());
      expect(calls).toEqual(['files/md5/']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
