import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDirectoryMode, statFacts, type FileFacts } from '../../../../src/core/2-fs/fileFacts.js';

const work = mkdtempSync(join(tmpdir(), 'sluice-facts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const blank = (): FileFacts => ({ ino: 0, mtimeMs: 0, size: 0, mode: 0 });

describe('statFacts', () => {
  it('answers what statSync answers, links followed', () => {
    writeFileSync(join(work, 'file'), 'twelve bytes');
    mkdirSync(join(work, 'folder'));
    symlinkSync('file', join(work, 'link'));
    for (const name of ['file', 'folder', 'link', '.']) {
      const path = join(work, name);
      const facts = blank();
      expect(statFacts(path, facts)).toBe(true);
      const stats = statSync(path);
      expect(facts).toEqual({
        ino: stats.ino,
        mtimeMs: stats.mtimeMs,
        size: stats.size,
        mode: stats.mode,
      });
      expect(isDirectoryMode(facts.mode)).toBe(stats.isDirectory());
    }
  });

  it('answers false for nothing there, and throws other errors as statSync does', () => {
    expect(statFacts(join(work, 'missing'), blank())).toBe(false);
    symlinkSync('missing', join(work, 'dangling'));
    expect(statFacts(join(work, 'dangling'), blank())).toBe(false);
    expect(() => statFacts(join(work, 'file', 'below'), blank())).toThrow(/ENOTDIR/);
  });
});
