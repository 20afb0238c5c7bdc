import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sourceStamp from '../../../../src/core/5-workspace/folderStamp.js';
import { DvcIgnore } from '../../../../src/core/5-workspace/dvcIgnore.js';
import {
  UNIT_ENTRIES,
  listUnits,
  statUnit,
  walkFiles,
  type WalkUnit,
} from '../../../../src/core/5-workspace/walk.js';
import { projectRoot } from '../../../helpers/sandbox.js';

type StampModule = typeof sourceStamp;

/** The helper thread needs the built worker script: load the compiled module, as the CLI does. */
async function builtStamp(): Promise<StampModule> {
  const compiled = join(projectRoot, 'dist', 'core', '5-workspace', 'folderStamp.js');
  if (!existsSync(compiled)) throw new Error('dist/ is missing: run `npm run build` first');
  return (await import(pathToFileURL(compiled).href)) as StampModule;
}

const root = mkdtempSync(join(tmpdir(), 'sluice-stamp-'));
const data = join(root, 'data');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 40 folders of 150 files, one folder of 2,500 (three units), links of every kind. */
beforeAll(() => {
  for (let d = 0; d < 40; d++) {
    const dir = join(data, `part${d % 4}`, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 150; f++) writeFileSync(join(dir, `f${f}.txt`), `${d}/${f}`);
  }
  mkdirSync(join(data, 'big'));
  for (let f = 0; f < 2500; f++) writeFileSync(join(data, 'big', `b${f}`), String(f));
  mkdirSync(join(data, 'empty'));
  writeFileSync(join(root, 'outside.txt'), 'linked file');
  symlinkSync(join(root, 'outside.txt'), join(data, 'link-to-file'));
  symlinkSync(join(data, 'part0'), join(data, 'link-to-folder'));
  symlinkSync(join(root, 'missing'), join(data, 'dangling'));
});

const walkStamp = (): { stamp: string; files: string[] } => {
  const files: string[] = [];
  const stamp = walkFiles(data, 'data', new DvcIgnore(root), (file) => files.push(file.relpath));
  return { stamp, files };
};

describe('walk units', () => {
  it('slices a large folder, skips empty folders, and leaves links to folders and dangling links out', () => {
    const units: WalkUnit[] = [];
    listUnits(data, 'data', new DvcIgnore(root), (unit) => units.push(unit));
    const big = units.filter((unit) => unit.relDir === 'big');
    expect(big.map((unit) => unit.chunk)).toEqual([0, 1, 2]);
    expect(big.map((unit) => unit.names.length)).toEqual([UNIT_ENTRIES, UNIT_ENTRIES, 452]);
    expect(units.some((unit) => unit.relDir === 'empty')).toBe(false);

    const { files } = walkStamp();
    expect(files).toHaveLength(40 * 150 + 2500 + 1);
    expect(files).toContain('link-to-file');
    expect(files).not.toContain('dangling');
    expect(files.some((file) => file.startsWith('link-to-folder'))).toBe(false);
  });
});

describe('folderStamp', () => {
  it('gives the stamp walkFiles gives, on one thread', () => {
    expect(sourceStamp.folderStamp(data, 'data', new DvcIgnore(root))).toBe(walkStamp().stamp);
  });

  it('gives the same stamp when the helper takes every unit (the protocol, on one thread)', () => {
    const { job, start } = sourceStamp.StampJob.create();
    const units: WalkUnit[] = [];
    listUnits(data, 'data', new DvcIgnore(root), (unit) => {
      units.push(unit);
      job.publish(unit);
    });
    job.endPublishing();
    // No unit is claimed here, so the helper's side takes them all, then stops.
    sourceStamp.helpWithJob(start);
    const digests = new Array<string | undefined>(units.length);
    job.collect(units.length, digests);
    expect(digests).toEqual(units.map((unit) => statUnit(unit)));
  });

  it('shares units with a real helper thread and still gives the same stamp', async () => {
    const built = await builtStamp();
    expect(await built.startStampHelper()).toBe(true);
    let units = 0;
    listUnits(data, 'data', new DvcIgnore(root), () => {
      units += 1;
    });
    expect(units).toBeGreaterThan(40);
    // The helper starts statting while the listing goes on; which units it gets depends on
    // timing, so the stamp is taken until it has done some (a helper that never takes a unit,
    // or whose digests are lost, fails here).
    const byHelper: number[] = [];
    for (let run = 0; run < 20 && !byHelper.some((n) => n > 0); run++) {
      const share = { units: -1, byHelper: -1 };
      const stamp = built.folderStamp(data, 'data', new DvcIgnore(root), { share });
      expect(stamp).toBe(walkStamp().stamp);
      expect(share.units).toBe(units);
      expect(share.byHelper).toBeGreaterThanOrEqual(0);
      expect(share.byHelper).toBeLessThanOrEqual(units);
      byHelper.push(share.byHelper);
    }
    expect(Math.max(...byHelper)).toBeGreaterThan(0);
  });

  it('changes when a file changes, appears or goes, and not otherwise', async () => {
    const built = await builtStamp();
    const stampNow = (): string => built.folderStamp(data, 'data', new DvcIgnore(root));
    const before = stampNow();
    expect(stampNow()).toBe(before);

    const file = join(data, 'part1', 'd5', 'f7.txt');
    writeFileSync(file, 'edited');
    utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const edited = stampNow();
    expect(edited).not.toBe(before);

    writeFileSync(join(data, 'big', 'new'), 'x');
    const added = stampNow();
    expect(added).not.toBe(edited);
    rmSync(join(data, 'big', 'new'));
    expect(stampNow()).toBe(edited);
  });

  it('gives the same stamp when the helper started the folder early, listing it itself', async () => {
    const built = await builtStamp();
    built.startEarlyStamp(root, 'data');
    const share = { units: 0, byHelper: 0 };
    expect(built.folderStamp(data, 'data', new DvcIgnore(root), { share })).toBe(walkStamp().stamp);
    expect(share.units).toBeGreaterThan(40);
    expect(share.byHelper).toBeLessThanOrEqual(share.units);
    // The early job is joined once; the next stamp is computed afresh.
    expect(built.folderStamp(data, 'data', new DvcIgnore(root))).toBe(walkStamp().stamp);
  });

  it('meets the error of a listing the early helper could not make', async () => {
    const built = await builtStamp();
    const inside = join(data, 'part2', '.dvcignore');
    writeFileSync(inside, '*.tmp\n');
    try {
      built.startEarlyStamp(root, 'data');
      expect(() => built.folderStamp(data, 'data', new DvcIgnore(root))).toThrow(
        /\.dvcignore file should not be in collected dir path/,
      );
    } finally {
      rmSync(inside);
    }
  });
});
