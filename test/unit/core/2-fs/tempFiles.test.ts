import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempBaseName, tempNameFor } from '../../../../src/core/2-fs/atomicWrite.js';
import {
  isTempOwnerGone,
  ownTempOwner,
  parseTempName,
} from '../../../../src/core/2-fs/tempFiles.js';

describe('temporary names', () => {
  it('carry this process as owner, stay within 255 bytes and parse back', () => {
    const own = ownTempOwner();
    expect(own.pid).toBe(process.pid);
    expect(own.start).toBeGreaterThan(0);
    for (const base of ['foo', 'a.b.c', 'é'.repeat(200), 'x'.repeat(255), '日本語'.repeat(40)]) {
      const name = basename(tempNameFor(`/some/dir/${base}`));
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      expect(name.endsWith('.tmp')).toBe(true);
      expect(Buffer.from(name).toString('utf8')).toBe(name); // whole code points only
      expect(parseTempName(name)).toEqual(own);
      expect(isTempOwnerGone(own, Date.now())).toBe(false);
    }
    expect(tempBaseName('a')).not.toBe(tempBaseName('a'));
  });

  it('a dead pid, or a live pid with another start time, is a gone owner', () => {
    const child = spawnSync(process.execPath, ['-e', '0']);
    const own = ownTempOwner();
    expect(isTempOwnerGone({ ...own, pid: child.pid }, Date.now())).toBe(true);
    expect(isTempOwnerGone({ ...own, start: (own.start ?? 0) + 1 }, Date.now())).toBe(true);
    // another host: only the age of the file tells
    const other = { ...own, host: 'ffffff' === own.host ? 'eeeeee' : 'ffffff' };
    expect(isTempOwnerGone(other, Date.now())).toBe(false);
    expect(isTempOwnerGone(other, Date.now() - 2 * 3600 * 1000)).toBe(true);
  });

  it('names that only look alike are no temporary names of ours', () => {
    for (const name of [
      '.notes.tmp',
      '.a.123.tmp',
      'a.123-1-abcdef.1a2b3c4d1.tmp',
      '.a.12-abcdef.xyz.tmp',
    ]) {
      expect(parseTempName(name), name).toBeUndefined();
    }
    expect(parseTempName('.tmp-123-abc')).toBeUndefined();
    expect(parseTempName('.tmp-123-abc', true)).toEqual({
      pid: 123,
      start: undefined,
      host: undefined,
    });
  });
});
