import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  git,
  makeRepo,
  type RunResult,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * A pipeline whose dvc.lock was written by DVC 2.x (no `hash: md5`, md5 of CRLF-normalised text,
 * objects in the legacy cache), rewritten by `commit -f` and `repro` of DVC 3 and of Sluice.
 */

afterEach(() => cleanupSandboxes());

function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

/** The 2.x hash of a small text file. */
function dos2unixMd5(text: string): string {
  return md5(text.replaceAll('\r\n', '\n'));
}

function putLegacyObject(root: string, oid: string, data: string): void {
  const abs = join(root, '.dvc/cache', oid.slice(0, 2), oid.slice(2));
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
  chmodSync(abs, 0o444);
}

const DATA = 'one\r\ntwo\r\n';
const Q = 'q\n';
const METRIC = '{"x": 0.5}\n';

const DVC_YAML = `stages:
  a:
    cmd: cat data.txt > a.out
    deps:
    - data.txt
    - ddir
    params:
    - lr
    - alpha
    outs:
    - a.out
  b:
    cmd: cat a.out > b.out && cp m.src m.json
    deps:
    - a.out
    - m.src
    outs:
    - b.out
    metrics:
    - m.json:
        cache: false
`;

function legacyPipeline(): string {
  const root = makeRepo('dvc');
  writeTree(root, {
    'params.yaml': 'lr: 0.1\nalpha: 1.0e-05\n',
    'data.txt': DATA,
    'ddir/q': Q,
    'a.out': DATA,
    'b.out': DATA,
    'm.src': METRIC,
    'm.json': METRIC,
    'dvc.yaml': DVC_YAML,
    '.gitignore': '/a.out\n/b.out\n',
  });
  const data = dos2unixMd5(DATA);
  const listing = `[{"md5": "${md5(Q)}", "relpath": "q"}]`;
  const ddir = `${md5(listing)}.dir`;
  putLegacyObject(root, data, DATA);
  const size = Buffer.byteLength(DATA);
  writeFileSync(
    join(root, 'dvc.lock'),
    `schema: '2.0'
stages:
  a:
    cmd: cat data.txt > a.out
    deps:
    - path: data.txt
      md5: ${data}
      size: ${size}
    - path: ddir
      md5: ${ddir}
      size: 2
      nfiles: 1
    params:
      params.yaml:
        alpha: 1e-05
        lr: 0.1
    outs:
    - path: a.out
      md5: ${data}
      size: ${size}
  b:
    cmd: cat a.out > b.out && cp m.src m.json
    deps:
    - path: a.out
      md5: ${data}
      size: ${size}
    - path: m.src
      md5: ${md5(METRIC)}
      size: ${METRIC.length}
    outs:
    - path: b.out
      md5: ${data}
      size: ${size}
    - path: m.json
      md5: ${md5(METRIC)}
      size: ${METRIC.length}
`,
  );
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'a 2.x pipeline');
  return root;
}

/**
 * Every file but git's and .dvc/tmp: mode and bytes. DVC 3 also writes the listing of a 2.x
 * folder dependency into the legacy cache whenever it hashes it (even for `status`); Sluice does
 * not (docs/dvc-compatibility.md), so legacy `.dir` objects are left out.
 */
function treeBytes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel === '' ? name : `${rel}/${name}`;
      if (p === '.git' || p === '.dvc/tmp') continue;
      if (/^\.dvc\/cache\/[0-9a-f]{2}\/[0-9a-f]{30}\.dir$/.test(p)) continue;
      const st = statSync(join(root, p));
      if (st.isDirectory()) walk(p);
      else out[p] = `${(st.mode & 0o777).toString(8)} ${readFileSync(join(root, p), 'utf8')}`;
    }
  };
  walk('');
  return out;
}

type Step = (root: string, run: (...args: string[]) => RunResult) => void;

/** Runs the same steps on two copies of the 2.x pipeline, with DVC and with Sluice. */
function sideBySide(step: Step): {
  dvc: string;
  sluice: string;
  dvcOut: string[];
  sluiceOut: string[];
} {
  const dvcRoot = legacyPipeline();
  const sluiceRoot = legacyPipeline();
  const dvcOut: string[] = [];
  const sluiceOut: string[] = [];
  step(dvcRoot, (...args) => {
    const r = dvcOk(dvcRoot, ...args);
    dvcOut.push(r.stdout);
    return r;
  });
  step(sluiceRoot, (...args) => {
    const r = sluiceOk(sluiceRoot, ...args);
    sluiceOut.push(r.stdout);
    return r;
  });
  expect(treeBytes(sluiceRoot)).toEqual(treeBytes(dvcRoot));
  return { dvc: dvcRoot, sluice: sluiceRoot, dvcOut, sluiceOut };
}

describe('a 2.x dvc.lock', () => {
  it('is up to date for both tools (checks the fixture)', () => {
    const root = legacyPipeline();
    expect(dvcOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
    expect(sluiceOk(root, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
  });

  it('commit -f keeps every entry and writes the run-cache entries DVC writes', () => {
    const r = sideBySide((_root, run) => run('commit', '-f'));
    expect(git(r.sluice, 'status', '--porcelain').stdout).toBe('');
    expect(r.sluiceOut).toEqual(r.dvcOut);
  });

  it('repro after a folder dependency changed upgrades only that entry', () => {
    const r = sideBySide((root, run) => {
      writeTree(root, { 'ddir/r': 'r\n' });
      run('repro');
    });
    const lock = readFileSync(join(r.sluice, 'dvc.lock'), 'utf8');
    expect(lock.match(/hash: md5/g)?.length).toBe(1);
  });

  it('repro after a params change keeps the dependencies as they were', () => {
    sideBySide((root, run) => {
      writeTree(root, { 'params.yaml': 'lr: 0.2\nalpha: 1.0e-05\n' });
      run('repro');
    });
  });

  it('repro after a metric source changed', () => {
    sideBySide((root, run) => {
      writeTree(root, { 'm.src': '{"x": 0.75}\n' });
      run('repro');
    });
  });
});
