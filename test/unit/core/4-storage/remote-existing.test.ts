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
  /** The most `exists` queries that were in flight at once. */
  maxInFlight = 0;
  private inFlight = 0;

  constructor(
    private readonly keys: Set<string>,
    listPrefixLength: 2 | 3,
    canList = true,
  ) {
    this.capabilities = { canList, listPrefixLength, defaultJobs: 4 };
  }

  async *list(prefix: string): AsyncIterable<string> {
    this.listed.push(prefix);
    await Promise.resolve();
    for (const key of this.keys) if (key.startsWith(prefix)) yield key;
  }

  async exists(key: string): Promise<boolean> {
    this.probed.push(key);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight -= 1;
    return this.keys.has(key);
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

  it('asks nothing for no keys, and probes a single key or a remote that cannot list', async () => {
    const present = oids('one', 3).map(keyOf);
    const storage = new RecordingStorage(new Set(present), 3);
    expect((await remoteExisting(storage, [], 4)).size).toBe(0);
    expect([storage.listed, storage.probed]).toEqual([[], []]);
    expect([...(await remoteExisting(storage, [present[0]], 4))]).toEqual([present[0]]);
    expect([storage.listed, storage.probed]).toEqual([[], [present[0]]]);
    const unlisted = new RecordingStorage(new Set(present), 2, false);
    const wanted = [...present, ...oids('not', 2).map(keyOf)];
    expect([...(await remoteExisting(unlisted, wanted, 4))].sort()).toEqual([...present].sort());
    expect(unlisted.listed).toEqual([]);
    expect(unlisted.probed.sort()).toEqual([...wanted].sort());
  });

  it('probes up to `jobs` keys at once, and one at a time for jobs below 1', async () => {
    const wanted = oids('jobs', 20).map(keyOf);
    const storage = new RecordingStorage(new Set(wanted), 3, false);
    expect((await remoteExisting(storage, wanted, 4)).size).toBe(20);
    expect(storage.maxInFlight).toBe(4);
    const serial = new RecordingStorage(new Set(wanted), 3, false);
    expect((await remoteExisting(serial, wanted, 0)).size).toBe(20);
    expect(serial.maxInFlight).toBe(1);
  });

  /** `count` keys of objects under `files/md5/00/0`, what the size probe of a 3-level remote sees. */
  const sampled = (count: number): string[] =>
    Array.from({ length: count }, (_, i) => keyOf(probeHit(i)));

  it('estimates a remote from the objects under files/md5/00/0: pages of 1000, five times past 500,000', async () => {
    // 10 sampled objects: about 40,960 on the remote, 41 pages. 41 keys or more are listed.
    const fewer = oids('pages', 40).map(keyOf);
    const small = new RecordingStorage(new Set(sampled(10)), 3);
    await remoteExisting(small, fewer, 4);
    expect([small.listed.length, small.probed.length]).toEqual([1, 40]);
    const asMany = oids('pages', 41).map(keyOf);
    const same = new RecordingStorage(new Set(sampled(10)), 3);
    await remoteExisting(same, asMany, 4);
    expect(same.probed).toEqual([]);
    expect(same.listed.slice(1).sort()).toEqual(
      [...new Set(asMany.map((k) => k.slice(0, 11)))].sort(),
    );
    // 200 sampled objects: about 819,200, past 500,000, so 820 × 5 = 4,100 pages: 1,000 keys
    // are still probed.
    const many = oids('large', 1000).map(keyOf);
    const large = new RecordingStorage(new Set(sampled(200)), 3);
    await remoteExisting(large, many, 8);
    expect([large.listed.length, large.probed.length]).toEqual([1, 1000]);
  });

  it('lists when the keys fill their folders to a page each, even on a large remote', async () => {
    // 1,000 keys in one folder: as many requests either way, so one listing.
    const inOne: string[] = [];
    for (let i = 0; inOne.length < 1000; i += 1) {
      const oid = createHash('md5').update(`fill ${i}`).digest('hex');
      inOne.push(keyOf(`ab${oid.slice(2)}`));
    }
    const storage = new RecordingStorage(new Set(sampled(400)), 3);
    await remoteExisting(storage, inOne, 8);
    expect(storage.probed).toEqual([]);
    expect(storage.listed).toEqual(['files/md5/00/0', 'files/md5/a']);
  });

  it('a disk-like remote is sampled by its folder 00, 256 folders to a remote', async () => {
    // 4 objects in folder 00: about 1,024 on the remote, 2 pages; 5 keys are listed by folder.
    const inZero = Array.from(
      { length: 4 },
      (_, i) => `files/md5/00/${i.toString(16).padStart(30, '0')}`,
    );
    const wanted = oids('disk5', 5).map(keyOf);
    const storage = new RecordingStorage(new Set([...inZero, ...wanted]), 2);
    expect([...(await remoteExisting(storage, wanted, 4))].sort()).toEqual([...wanted].sort());
    expect(storage.listed[0]).toBe('files/md5/00/');
    expect(storage.probed).toEqual([]);
    expect(storage.listed.slice(1).sort()).toEqual(wanted.map((k) => k.slice(0, 13)).sort());
  });

  it('a disk-like remote without whole listings lists each wanted folder, however many', async () => {
    const wanted = oids('folders', 400).map(keyOf);
    const storage = new RecordingStorage(new Set(wanted), 2);
    expect((await remoteExisting(storage, wanted, 4)).size).toBe(400);
    const folders = new Set(wanted.map((k) => k.slice(0, 13)));
    expect(folders.size).toBeGreaterThanOrEqual(64);
    expect(storage.listed.slice(1).sort()).toEqual([...folders].sort());
  });

  /** A local remote holding `present`, with its whole-listing calls recorded. */
  function localRemote(
    root: string,
    present: string[],
  ): { storage: LocalStorage; calls: string[] } {
    for (const key of present) {
      mkdirSync(join(root, key, '..'), { recursive: true });
      writeFileSync(join(root, key), key);
    }
    const storage = new LocalStorage(root, root);
    const calls: string[] = [];
    const listAll = storage.listAll.bind(storage);
    storage.listAll = (prefix: string): Promise<string[]> => {
      calls.push(prefix);
      return listAll(prefix);
    };
    return { storage, calls };
  }

  it('reads a local remote folder by folder below 64 wanted folders, the whole from 64', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-existing-'));
    try {
      // Keys in exactly `n` distinct folders (the first n folders met).
      const inFolders = (n: number, tag: string): string[] => {
        const byFolder = new Map<string, string>();
        for (const key of oids(tag, 4000).map(keyOf)) {
          const folder = key.slice(0, 13);
          if (!byFolder.has(folder) && byFolder.size < n) byFolder.set(folder, key);
        }
        return [...byFolder.values()];
      };
      const few = inFolders(20, 'few');
      const { storage, calls } = localRemote(root, few);
      expect([...(await remoteExisting(storage, few, 4))].sort()).toEqual([...few].sort());
      expect(calls.sort()).toEqual(few.map((k) => k.slice(0, 13)).sort());
      const sixtyFour = inFolders(64, 'sixty-four');
      const whole = localRemote(root, sixtyFour);
      expect((await remoteExisting(whole.storage, sixtyFour, 4)).size).toBe(64);
      expect(whole.calls).toEqual(['files/md5/']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
