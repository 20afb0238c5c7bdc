import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../../../src/core/4-storage/backends/local/localStorage.js';
import { RemoteNotFoundError } from '../../../../src/core/4-storage/storage.js';
import { CorruptSourceError } from '../../../../src/core/4-storage/verifiedUpload.js';

/**
 * The local-folder backend's fast paths: a download hashed in the same pass as it is written
 * (what `pull` verifies), and a listing returned whole (what `status -c` and `push` compare).
 */
let work: string;
let storage: LocalStorage;
let count = 0;

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

function put(key: string, content: Buffer | string): void {
  const path = storage.pathOf(key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

function target(): string {
  count += 1;
  return join(work, `download-${count}`);
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys.sort();
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sluice-local-transfer-'));
  storage = new LocalStorage(join(work, 'remote'), join(work, 'remote'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('local remote, download hashed in one pass', () => {
  // Sizes around the 1 MiB block: one block, a short tail, several blocks with a tail.
  // From 16 MiB on, the kernel copies while the source is hashed beside it.
  const sizes = [
    0,
    1,
    4096,
    1024 * 1024,
    1024 * 1024 + 1,
    3 * 1024 * 1024 + 12345,
    16 * 1024 * 1024 + 3,
  ];
  for (const size of sizes) {
    it(`returns the md5 of what it wrote for ${size} bytes`, async () => {
      const content = randomBytes(size);
      put(`files/md5/aa/size${size}`, content);
      const path = target();
      let reported = 0;
      const hash = await storage.downloadHashed(`files/md5/aa/size${size}`, path, (n) => {
        reported += n;
      });
      const written = readFileSync(path);
      expect(written.equals(content)).toBe(true);
      expect(hash).toBe(md5(content));
      expect(reported).toBe(size);
    });
  }

  it('hashes what the remote holds, so a corrupt object is told by its hash', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 7);
    const oid = md5(content);
    content[content.length - 1] ^= 0xff; // one flipped byte in the last block
    put(`files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`, content);
    const hash = await storage.downloadHashed(
      `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`,
      target(),
    );
    expect(hash).not.toBe(oid);
    expect(hash).toBe(md5(content));
  });

  it('writes a spare copy beside an object of any size', async () => {
    for (const size of [10, 3 * 1024 * 1024, 17 * 1024 * 1024 + 5]) {
      const content = randomBytes(size);
      put(`files/md5/ac/spare${size}`, content);
      const path = target();
      const spare = `${path}.spare`;
      const hash = await storage.downloadHashed(
        `files/md5/ac/spare${size}`,
        path,
        undefined,
        spare,
      );
      expect(hash).toBe(md5(content));
      expect(readFileSync(path).equals(content)).toBe(true);
      expect(readFileSync(spare).equals(content)).toBe(true);
    }
  });

  it('hashes a large corrupt object as it is, spare copy and all', async () => {
    const content = randomBytes(16 * 1024 * 1024 + 11);
    const oid = md5(content);
    content[5] ^= 0xff;
    put(`files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`, content);
    const path = target();
    const hash = await storage.downloadHashed(
      `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`,
      path,
      undefined,
      `${path}.spare`,
    );
    expect(hash).toBe(md5(content));
    expect(hash).not.toBe(oid);
  });

  it('replaces what a failed attempt left in the temporary file', async () => {
    const content = randomBytes(1024 * 1024 + 99);
    put('files/md5/ab/retry', content);
    const path = target();
    writeFileSync(path, randomBytes(5 * 1024 * 1024)); // a longer leftover
    const hash = await storage.downloadHashed('files/md5/ab/retry', path);
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(hash).toBe(md5(content));
  });

  it('throws RemoteNotFoundError for a missing object', async () => {
    await expect(storage.downloadHashed('files/md5/zz/missing', target())).rejects.toBeInstanceOf(
      RemoteNotFoundError,
    );
  });
});

describe('local remote, whole listings', () => {
  it('lists the same keys as the streaming listing, without temporary files', async () => {
    const keys = [
      'files/md5/0a/one',
      'files/md5/0a/two',
      'files/md5/0b/three',
      'files/md5/1c/four.dir',
      'files/md5/0a/sub/deep',
      'runs/x/y/z',
    ];
    for (const key of keys) put(`list/${key}`, key);
    put('list/files/md5/0a/.upload.123.abcd.tmp', 'partial');
    const listed = new LocalStorage(join(storage.root, 'list'), 'list');
    for (const prefix of ['', 'files/md5/', 'files/md5/0a/', 'files/md5/0', 'runs/', 'nothing/']) {
      const whole = (await listed.listAll(prefix)).sort();
      expect(whole).toEqual(await collect(listed.list(prefix)));
      expect(whole).toEqual(keys.filter((k) => k.startsWith(prefix)).sort());
    }
  });
});

describe('verified upload', () => {
  // The three copy paths: cloned then read back, copied block by block, copied by the kernel
  // while hashed on the side.
  it.each([1000, 4 * 1024 * 1024, 20 * 1024 * 1024])(
    'refuses %d bytes that do not hash to their name, and leaves no file behind',
    async (size) => {
      const bytes = randomBytes(size);
      count += 1;
      const source = join(work, `source-${count}`);
      writeFileSync(source, bytes);
      const wrong = md5(Buffer.from(`not ${count}`));
      const key = `files/md5/${wrong.slice(0, 2)}/${wrong.slice(2)}`;
      // Objects of earlier cases may share the folder (1 in 256): only what was there may stay.
      const folder = dirname(storage.pathOf(key));
      const before = existsSync(folder) ? readdirSync(folder).sort() : [];
      const failure = await storage.upload(source, key, undefined, wrong).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(CorruptSourceError);
      expect(await storage.exists(key)).toBe(false);
      expect(readdirSync(folder).sort()).toEqual(before);
      const right = md5(bytes);
      const good = `files/md5/${right.slice(0, 2)}/${right.slice(2)}`;
      await storage.upload(source, good, undefined, right);
      expect(md5(readFileSync(storage.pathOf(good)))).toBe(right);
    },
  );
});
