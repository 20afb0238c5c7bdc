import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  dvcOk,
  git,
  makeRepo,
  type RunResult,
  sluice,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * A 2.x repository (no `hash:` key, md5 of CRLF-normalised text, objects in .dvc/cache/xx/…),
 * built by hand, read by Sluice and by DVC 3.
 */

afterEach(() => cleanupSandboxes());

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** The 2.x hash (one text/binary decision from the first 512 bytes; fine for small files). */
function dos2unixMd5(data: Buffer): string {
  const head = data.subarray(0, 512);
  let nonText = 0;
  for (const b of head) {
    if (b === 0) return md5(data);
    const text = (b >= 0x20 && b <= 0x7e) || [0x0a, 0x0d, 0x09, 0x0c, 0x08].includes(b);
    if (!text) nonText += 1;
  }
  const isText = head.length === 0 || nonText / head.length <= 0.3;
  return isText
    ? md5(Buffer.from(data.toString('latin1').replaceAll('\r\n', '\n'), 'latin1'))
    : md5(data);
}

function putLegacyObject(root: string, oid: string, data: Buffer | string): void {
  const abs = join(root, '.dvc/cache', oid.slice(0, 2), oid.slice(2));
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
  chmodSync(abs, 0o444);
}

const crlf = Buffer.from('line one\r\nline two\r\n');
const binary = Buffer.from([0, 1, 2, 13, 10, 255]);
const dirFiles: Record<string, Buffer> = {
  'a.txt': Buffer.from('a\r\nb\r\n'),
  'sub/b.txt': Buffer.from('plain\n'),
  'sub/c.bin': binary,
};

/** A repo (made by `dvc init`) holding a 2.x-style file, folder and binary file. */
function legacyRepo(): string {
  const root = makeRepo('dvc');
  writeTree(root, { 'data.txt': crlf, 'blob.bin': binary });
  for (const [rel, data] of Object.entries(dirFiles)) writeTree(root, { [`dir/${rel}`]: data });

  const fileOid = dos2unixMd5(crlf);
  putLegacyObject(root, fileOid, crlf);
  writeFileSync(
    join(root, 'data.txt.dvc'),
    `outs:\n- md5: ${fileOid}\n  size: ${crlf.length}\n  path: data.txt\n`,
  );

  const blobOid = dos2unixMd5(binary);
  putLegacyObject(root, blobOid, binary);
  // 1.x style: no size
  writeFileSync(join(root, 'blob.bin.dvc'), `outs:\n- md5: ${blobOid}\n  path: blob.bin\n`);

  const entries = Object.keys(dirFiles)
    .sort()
    .map((rel) => {
      const data = dirFiles[rel];
      const oid = dos2unixMd5(data);
      putLegacyObject(root, oid, data);
      return `{"md5": "${oid}", "relpath": "${rel}"}`;
    });
  const dirJson = `[${entries.join(', ')}]`;
  const dirOid = `${dos2unixMd5(Buffer.from(dirJson))}.dir`;
  putLegacyObject(root, dirOid, dirJson);
  const size = Object.values(dirFiles).reduce((n, b) => n + b.length, 0);
  writeFileSync(
    join(root, 'dir.dvc'),
    `outs:\n- md5: ${dirOid}\n  size: ${size}\n  nfiles: 3\n  path: dir\n`,
  );
  writeFileSync(join(root, '.gitignore'), '/data.txt\n/blob.bin\n/dir\n');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'legacy data');
  return root;
}

function statusJson(r: RunResult): unknown {
  return JSON.parse(r.stdout) as unknown;
}

function treeBytes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (p === '.git' || p === '.dvc/tmp') continue;
      const st = statSync(join(root, p));
      if (st.isDirectory()) walk(p);
      else
        out[p] =
          `${(st.mode & 0o777).toString(8)} ${readFileSync(join(root, p)).toString('base64')}`;
    }
  };
  walk('');
  return out;
}

const UP_TO_DATE = 'Data and pipelines are up to date.';

describe('legacy 2.x data', () => {
  it('the hand-made repo is clean for dvc (checks the fixture)', () => {
    const root = legacyRepo();
    expect(dvcOk(root, 'status').stdout.trim()).toBe(UP_TO_DATE);
  });

  it('sluice status is clean', () => {
    const root = legacyRepo();
    const r = sluice(root, 'status');
    expect({ code: r.code, stdout: r.stdout.trim() }).toEqual({ code: 0, stdout: UP_TO_DATE });
  });

  it('sluice checkout restores the CRLF file, the binary file and the folder byte for byte', () => {
    const root = legacyRepo();
    for (const p of ['data.txt', 'blob.bin', 'dir']) rmSync(join(root, p), { recursive: true });
    sluiceOk(root, 'checkout');
    expect(readFileSync(join(root, 'data.txt')).equals(crlf)).toBe(true);
    expect(readFileSync(join(root, 'blob.bin')).equals(binary)).toBe(true);
    for (const [rel, data] of Object.entries(dirFiles)) {
      expect(readFileSync(join(root, 'dir', rel)).equals(data)).toBe(true);
    }
    expect(dvcOk(root, 'status').stdout.trim()).toBe(UP_TO_DATE);
    expect(sluiceOk(root, 'status').stdout.trim()).toBe(UP_TO_DATE);
  });

  it('status after edits matches dvc (CRLF→LF is not a change for a legacy entry)', () => {
    const root = legacyRepo();
    // same dos2unix hash: unchanged for both tools
    writeFileSync(join(root, 'data.txt'), 'line one\nline two\n');
    writeTree(root, { 'dir/sub/b.txt': 'edited\n' });
    rmSync(join(root, 'blob.bin'));
    const expected = statusJson(dvcOk(root, 'status', '--json'));
    const actual = statusJson(sluiceOk(root, 'status', '--json'));
    expect(actual).toEqual(expected);
  });

  it('re-adding unchanged legacy outputs writes what dvc writes', () => {
    // A changed legacy folder is left out: DVC 3.67 writes a listing that mixes legacy hashes of
    // unchanged files with md5 of new ones into the legacy cache; Sluice rehashes the folder
    // with md5 (what a fresh `dvc add` of the same folder writes).
    const dvcRoot = legacyRepo();
    const sluiceRoot = legacyRepo();
    dvcOk(dvcRoot, 'add', 'data.txt', 'blob.bin');
    sluiceOk(sluiceRoot, 'add', 'data.txt', 'blob.bin');
    expect(treeBytes(sluiceRoot)).toEqual(treeBytes(dvcRoot));
  });

  it('commit -f of an unchanged legacy output keeps the legacy entry like dvc', () => {
    const dvcRoot = legacyRepo();
    const sluiceRoot = legacyRepo();
    dvcOk(dvcRoot, 'commit', '-f');
    sluiceOk(sluiceRoot, 'commit', '-f');
    expect(treeBytes(sluiceRoot)).toEqual(treeBytes(dvcRoot));
  });

  it('a legacy object that is missing is "not in cache" for both tools', () => {
    const root = legacyRepo();
    const oid = dos2unixMd5(crlf);
    const obj = join(root, '.dvc/cache', oid.slice(0, 2), oid.slice(2));
    chmodSync(obj, 0o644);
    rmSync(obj);
    expect(existsSync(obj)).toBe(false);
    const expected = statusJson(dvc(root, 'status', '--json'));
    const actual = statusJson(sluice(root, 'status', '--json'));
    expect(actual).toEqual(expected);
  });
});
