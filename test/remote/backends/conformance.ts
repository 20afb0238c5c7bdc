import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/core/1-base/errors.js';
import { RemoteNotFoundError, type RemoteStorage } from '../../../src/core/4-storage/storage.js';
import { CorruptSourceError } from '../../../src/core/4-storage/verifiedUpload.js';

/**
 * One conformance suite for every remote backend (as unstorage's testDriver does), run against
 * each backend's real server. Each backend's test file starts its server once and hands in how
 * to open a storage on a fresh root folder.
 */
export interface ConformanceTarget {
  /** Opens a storage on a root nobody else uses (a fresh prefix or folder each call). */
  open(): Promise<RemoteStorage>;
  /** Opens a storage with wrong credentials; either the open or the first call must fail. */
  openWithWrongCredentials(): Promise<RemoteStorage>;
  /** Secrets that must never appear in an error message. */
  secrets: readonly string[];
  /** How many keys to list (more than one page of the server's listing where it pages). */
  manyKeys: number;
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of iterable) keys.push(key);
  return keys.sort();
}

function md5(path: string): string {
  return createHash('md5').update(readFileSync(path)).digest('hex');
}

export function describeConformance(name: string, target: () => ConformanceTarget): void {
  describe(`${name} storage conformance`, () => {
    let work: string;
    let storage: RemoteStorage;
    let file = 0;
    const localFile = (content: Buffer | string): string => {
      file += 1;
      const path = join(work, `local-${file}`);
      writeFileSync(path, content);
      return path;
    };
    const downloadPath = (): string => {
      file += 1;
      return join(work, `download-${file}`);
    };

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'sluice-conformance-'));
      storage = await target().open();
    });

    afterAll(async () => {
      await storage.close();
      rmSync(work, { recursive: true, force: true });
    });

    it('round-trips a small file, reporting its bytes', async () => {
      const source = localFile('hello remote\n');
      let uploaded = 0;
      await storage.upload(source, 'files/md5/ab/cdef0123', (n) => (uploaded += n));
      expect(uploaded).toBe(13);
      expect(await storage.exists('files/md5/ab/cdef0123')).toBe(true);
      const target = downloadPath();
      let downloaded = 0;
      await storage.download('files/md5/ab/cdef0123', target, (n) => (downloaded += n));
      expect(readFileSync(target, 'utf8')).toBe('hello remote\n');
      expect(downloaded).toBe(13);
    });

    it('round-trips an empty file', async () => {
      await storage.upload(localFile(''), 'files/md5/d4/1d8cd98f00b204e9800998ecf8427e');
      const target = downloadPath();
      await storage.download('files/md5/d4/1d8cd98f00b204e9800998ecf8427e', target);
      expect(statSync(target).size).toBe(0);
    });

    it('round-trips 5 MiB of random bytes', async () => {
      const source = localFile(randomBytes(5 * 1024 * 1024));
      await storage.upload(source, 'big/five-mib');
      const target = downloadPath();
      await storage.download('big/five-mib', target);
      expect(md5(target)).toBe(md5(source));
    });

    it('round-trips a key with spaces and unicode', async () => {
      const key = 'dir with space/ünï cödé – 数据 file.txt';
      await storage.upload(localFile('unicode'), key);
      expect(await storage.exists(key)).toBe(true);
      const target = downloadPath();
      await storage.download(key, target);
      expect(readFileSync(target, 'utf8')).toBe('unicode');
      if (storage.capabilities.canList) {
        expect(await collect(storage.list('dir with space/'))).toEqual([key]);
      }
    });

    it('overwrites an existing key', async () => {
      await storage.upload(localFile('first'), 'over/key');
      await storage.upload(localFile('second, longer'), 'over/key');
      const target = downloadPath();
      await storage.download('over/key', target);
      expect(readFileSync(target, 'utf8')).toBe('second, longer');
    });

    it('refuses to upload a file that does not hash to the md5 it is sent under', async () => {
      // Small: read whole before sending; over 16 MiB: streamed (multipart, resumable, chunked).
      for (const size of [1024, 17 * 1024 * 1024]) {
        const bytes = randomBytes(size);
        const source = localFile(bytes);
        const right = createHash('md5').update(bytes).digest('hex');
        const wrong = createHash('md5').update('something else').digest('hex');
        const key = `verify/wrong-${size}`;
        const failure = await storage.upload(source, key, undefined, wrong).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(CorruptSourceError);
        expect((failure as CorruptSourceError).actual).toBe(right);
        expect(await storage.exists(key)).toBe(false);
        const good = `verify/right-${size}`;
        await storage.upload(source, good, undefined, right);
        const target = downloadPath();
        await storage.download(good, target);
        expect(md5(target)).toBe(right);
      }
    }, 120_000);

    it('answers exists() false for a missing key', async () => {
      expect(await storage.exists('files/md5/00/missing')).toBe(false);
      expect(await storage.exists('no-such-folder/x')).toBe(false);
    });

    it('throws RemoteNotFoundError when downloading a missing key', async () => {
      await expect(storage.download('files/md5/00/missing', downloadPath())).rejects.toBeInstanceOf(
        RemoteNotFoundError,
      );
    });

    it('deletes a key, and deleting a missing key is not an error', async () => {
      await storage.upload(localFile('doomed'), 'del/me');
      expect(await storage.exists('del/me')).toBe(true);
      await storage.delete('del/me');
      expect(await storage.exists('del/me')).toBe(false);
      await storage.delete('del/me');
    });

    it('lists keys under a prefix, across pages', async () => {
      const fresh = await target().open();
      try {
        if (!fresh.capabilities.canList) {
          await expect(collect(fresh.list(''))).rejects.toBeInstanceOf(SluiceError);
          return;
        }
        const source = localFile('x');
        const { manyKeys } = target();
        const keys = Array.from({ length: manyKeys }, (_, i) => {
          const hex = (i * 2654435761).toString(16).padStart(8, '0').slice(-8);
          return `files/md5/${hex.slice(0, 2)}/${hex.slice(2)}${i}`;
        });
        const limit = pLimit(16);
        await Promise.all(keys.map((key) => limit(() => fresh.upload(source, key))));
        await fresh.upload(source, 'other/outside');
        expect(await collect(fresh.list('files/md5/'))).toEqual([...keys].sort());
        expect(await collect(fresh.list(''))).toEqual([...keys, 'other/outside'].sort());
        const first = keys[0] ?? '';
        const dirPrefix = first.slice(0, 'files/md5/xx/'.length);
        expect(await collect(fresh.list(dirPrefix))).toEqual(
          keys.filter((k) => k.startsWith(dirPrefix)).sort(),
        );
        // A partial name, as the sync engine uses to sample a prefix of the hash space.
        const partial = 'files/md5/0';
        expect(await collect(fresh.list(partial))).toEqual(
          keys.filter((k) => k.startsWith(partial)).sort(),
        );
        expect(await collect(fresh.list('nothing-here/'))).toEqual([]);
      } finally {
        await fresh.close();
      }
    });

    it('never shows a partial object under the final key during an upload', async () => {
      const source = localFile(randomBytes(20 * 1024 * 1024));
      const expected = md5(source);
      const key = 'atomic/twenty-mib';
      let done = false;
      let sawPartial = false;
      const upload = storage.upload(source, key).finally(() => (done = true));
      while (!done) {
        if (await storage.exists(key)) {
          // Visible before upload() resolved: it must be complete already.
          const probe = downloadPath();
          await storage.download(key, probe);
          if (md5(probe) !== expected) sawPartial = true;
          rmSync(probe, { force: true });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await upload;
      expect(sawPartial).toBe(false);
      const target = downloadPath();
      await storage.download(key, target);
      expect(md5(target)).toBe(expected);
      if (storage.capabilities.canList) {
        // No temporary names left behind.
        expect(await collect(storage.list('atomic/'))).toEqual([key]);
      }
    });

    it('transfers in parallel without mixing objects up', async () => {
      const limit = pLimit(8);
      const items = Array.from({ length: 24 }, (_, i) => ({
        key: `parallel/${i % 3}/item-${i}`,
        content: `content ${i} ${'x'.repeat(i * 1000)}`,
      }));
      await Promise.all(
        items.map((item) => limit(() => storage.upload(localFile(item.content), item.key))),
      );
      await Promise.all(
        items.map((item) =>
          limit(async () => {
            const target = downloadPath();
            await storage.download(item.key, target);
            expect(readFileSync(target, 'utf8')).toBe(item.content);
          }),
        ),
      );
    });

    it('fails with a clear REMOTE error, without secrets, on wrong credentials', async () => {
      let caught: unknown;
      try {
        const bad = await target().openWithWrongCredentials();
        try {
          await bad.upload(localFile('secret-free'), 'auth/check');
        } finally {
          await bad.close();
        }
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SluiceError);
      const error = caught as SluiceError;
      expect(error.code).toBe('REMOTE');
      expect(error.message).toMatch(/authentication failed|access denied/);
      const text = `${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error.toJSON())}`;
      for (const secret of target().secrets) expect(text).not.toContain(secret);
    });
  });
}
