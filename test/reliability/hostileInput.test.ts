import { chmodSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { recordReliability } from '../helpers/reliabilityReport.js';
import {
  cleanupSandboxes,
  dvc,
  git,
  makeRepo,
  sluice,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';
import {
  expectCleanFailure,
  md5,
  putDirObject,
  putObject,
  snapshotTree,
} from './hostileHelpers.js';

/**
 * Hostile input from a commit or a remote: forged paths and hashes in `.dir` listings and
 * metafiles, symlinks that lead out of the workspace, YAML bombs, a remote serving wrong bytes,
 * and the odd-but-legal names (long, non-ASCII) that must keep working. Every refusal must come
 * before anything is written outside the repository: a canary folder beside it is compared
 * byte for byte before and after.
 */

const tried: Record<string, number> = {};
const yamlTimings: number[] = [];
function count(kind: string): void {
  tried[kind] = (tried[kind] ?? 0) + 1;
}

let canary: string;
let canaryBefore: Record<string, string>;

beforeEach(() => {
  canary = tempDir('sluice-canary-');
  writeTree(canary, { victim: 'precious\n', 'sub/keep.txt': 'keep\n' });
  chmodSync(join(canary, 'victim'), 0o644);
  canaryBefore = snapshotTree(canary);
});

function expectCanaryUntouched(): void {
  expect(snapshotTree(canary)).toEqual(canaryBefore);
}

afterAll(() => cleanupSandboxes());

const EVIL = 'evil bytes\n';
const EVIL_MD5 = md5(EVIL);

/** A repo whose `d.dvc` names a `.dir` object made of `listing` (raw JSON text). */
function repoWithListing(listingFor: (outDir: string) => string): {
  repo: string;
  dirOid: string;
  listing: string;
} {
  const repo = makeRepo('sluice');
  const listing = listingFor(join(repo, 'd'));
  const dirOid = `${md5(listing)}.dir`;
  writeFileSync(
    join(repo, 'd.dvc'),
    `outs:\n- md5: ${dirOid}\n  size: ${EVIL.length}\n  nfiles: 2\n  hash: md5\n  path: d\n`,
  );
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'hostile listing');
  return { repo, dirOid, listing };
}

const entry = (relpath: string, oid = EVIL_MD5): string =>
  `{"md5": "${oid}", "relpath": ${relpath}}`;
const OK_ENTRY = entry('"a-ok.txt"', md5('ok\n'));

/** `relpath` values as raw JSON text, given the output folder's absolute path. */
const hostileListings: Array<[string, (outDir: string) => string]> = [
  ['`..` up to the canary', (d) => JSON.stringify(relative(d, join(canary, 'evil')))],
  ['an absolute path', () => JSON.stringify(join(canary, 'evil'))],
  [
    '`..` written as JSON escapes',
    (d) => JSON.stringify(relative(d, join(canary, 'evil'))).replace(/\.\./g, '\\u002e\\u002e'),
  ],
  ['a `.` segment before `..`', (d) => JSON.stringify(`./${relative(d, join(canary, 'evil'))}`)],
  ['an empty segment', () => JSON.stringify('sub//evil')],
  [
    'backslashes as separators',
    (d) => JSON.stringify(relative(d, join(canary, 'evil')).split('/').join('\\')),
  ],
  ['a leading backslash', () => JSON.stringify('\\evil')],
  ['a NUL byte', () => JSON.stringify('evil\u0000.txt')],
  ['a nested .git/config', () => JSON.stringify('sub/.git/config')],
  ['a file listed also as a folder', () => JSON.stringify('a-ok.txt/evil')],
];

describe('hostile .dir listings are refused before anything is written', () => {
  for (const [name, relpath] of hostileListings) {
    it(`${name}: from the cache (checkout) and from a remote (pull)`, () => {
      const { repo, listing } = repoWithListing((d) => `[${OK_ENTRY}, ${entry(relpath(d))}]`);
      const cacheRoot = join(repo, '.dvc', 'cache', 'files', 'md5');
      putDirObject(cacheRoot, listing);
      putObject(cacheRoot, EVIL);
      putObject(cacheRoot, 'ok\n');
      const out = expectCleanFailure(sluice(repo, 'checkout'));
      expect(out).toMatch(/unsafe path|refusing/);
      expect(existsSync(join(repo, 'd'))).toBe(false);
      expectCanaryUntouched();
      count('.dir listings');

      // the same listing arriving from a remote
      const remote = tempDir('sluice-hostile-remote-');
      const remoteRoot = join(remote, 'files', 'md5');
      putDirObject(remoteRoot, listing);
      putObject(remoteRoot, EVIL);
      putObject(remoteRoot, 'ok\n');
      rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
      sluiceOk(repo, 'remote', 'add', '-d', 'origin', remote);
      const pulled = expectCleanFailure(sluice(repo, 'pull'));
      expect(pulled).toMatch(/unsafe path|refusing/);
      expect(existsSync(join(repo, 'd'))).toBe(false);
      expectCanaryUntouched();
      count('.dir listings');
    });
  }

  it('a forged md5 in a listing (a path instead of a hash) is refused, nothing is deleted', () => {
    const { repo, listing } = repoWithListing(
      (d) =>
        `[${entry('"x"', relative(join(d, '..', '.dvc', 'cache', 'files', 'md5', 'xx'), join(canary, 'victim')))}]`,
    );
    const cacheRoot = join(repo, '.dvc', 'cache', 'files', 'md5');
    putDirObject(cacheRoot, listing);
    for (const args of [['checkout'], ['status']]) {
      const r = sluice(repo, ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
      expectCanaryUntouched();
      count('.dir listings');
    }
    expect(existsSync(join(repo, 'd'))).toBe(false);
  });
});

describe('metafiles with paths or hashes that leave the repository', () => {
  const GOOD_MD5 = md5('hello\n');
  const dvcFile = (path: string, extra = ''): string =>
    `${extra}outs:\n- md5: ${GOOD_MD5}\n  size: 6\n  hash: md5\n  path: ${path}\n`;

  /** A repo with `hello\n` in its cache, and `files` written over it. */
  function repoWith(files: Record<string, string>): string {
    const repo = makeRepo('sluice');
    putObject(join(repo, '.dvc', 'cache', 'files', 'md5'), 'hello\n');
    writeTree(repo, files);
    return repo;
  }

  const cases: Array<{ name: string; files: () => Record<string, string>; args: string[] }> = [
    {
      name: '.dvc out `../`',
      files: () => ({ 'x.dvc': dvcFile('../canary/evil') }),
      args: ['checkout'],
    },
    {
      name: '.dvc out absolute',
      files: () => ({ 'x.dvc': dvcFile(join(canary, 'evil')) }),
      args: ['checkout'],
    },
    {
      name: '.dvc out deep `..`',
      files: () => ({ 'sub/x.dvc': dvcFile('../../../../../../../../../tmp/evil') }),
      args: ['checkout'],
    },
    {
      name: '.dvc wdir `..`',
      files: () => ({ 'x.dvc': dvcFile('evil', 'wdir: ../canary\n') }),
      args: ['checkout'],
    },
    {
      name: '.dvc out inside .git',
      files: () => ({ 'x.dvc': dvcFile('.git/hooks/post-checkout') }),
      args: ['checkout'],
    },
    {
      name: '.dvc forged md5',
      files: () => ({
        'x.dvc': dvcFile('x').replace(
          GOOD_MD5,
          `../../../../../../../../..${join(canary, 'victim')}`,
        ),
      }),
      args: ['status'],
    },
    {
      name: 'dvc.yaml outs `../`',
      files: () => ({
        'dvc.yaml': 'stages:\n  s:\n    cmd: echo hi\n    outs:\n    - ../canary/evil\n',
      }),
      args: ['repro'],
    },
    {
      name: 'dvc.yaml outs absolute',
      files: () => ({
        'dvc.yaml': `stages:\n  s:\n    cmd: echo hi\n    outs:\n    - ${join(canary, 'evil')}\n`,
      }),
      args: ['checkout'],
    },
    {
      name: 'dvc.yaml deps `../`',
      files: () => ({
        'dvc.yaml':
          'stages:\n  s:\n    cmd: echo hi\n    deps:\n    - ../canary/victim\n    outs:\n    - o\n',
      }),
      args: ['status'],
    },
    {
      name: 'dvc.yaml wdir `..`',
      files: () => ({
        'dvc.yaml': 'stages:\n  s:\n    cmd: echo hi > o\n    wdir: ../..\n    outs:\n    - o\n',
      }),
      args: ['repro'],
    },
    {
      name: 'dvc.lock forged md5',
      files: () => ({
        'dvc.yaml': 'stages:\n  s:\n    cmd: echo hi > o\n    outs:\n    - o\n',
        'dvc.lock': `schema: '2.0'\nstages:\n  s:\n    cmd: echo hi > o\n    outs:\n    - path: o\n      hash: md5\n      md5: ../../../../../../../..${join(canary, 'victim')}\n      size: 9\n`,
      }),
      args: ['checkout'],
    },
  ];

  for (const c of cases) {
    it(`${c.name}: refused with one error line (${c.args[0]})`, () => {
      const repo = repoWith(c.files());
      const out = expectCleanFailure(sluice(repo, ...c.args));
      expect(out).toMatch(/outside the repository|absolute path|not an md5|inside \.git|refusing/);
      expectCanaryUntouched();
      expect(existsSync(join(repo, '.git', 'hooks', 'post-checkout'))).toBe(false);
      count('metafiles');
    });
  }

  it('a dvc.lock entry for a path outside the repository is never written', () => {
    const repo = repoWith({
      'dvc.yaml': 'stages:\n  s:\n    cmd: echo hi > o\n    outs:\n    - o\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  s:\n    cmd: echo hi > o\n    outs:\n    - path: ${join(canary, 'evil')}\n      hash: md5\n      md5: ${GOOD_MD5}\n      size: 6\n`,
    });
    for (const args of [['checkout'], ['checkout', '--force'], ['status']]) {
      const r = sluice(repo, ...args);
      expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
      expectCanaryUntouched();
      count('metafiles');
    }
  });
});

describe('symlinks committed in the workspace', () => {
  /** A repo with `model.bin` and folder `d` tracked, pushed, and their workspace copies gone. */
  function trackedRepo(): { repo: string; remote: string } {
    const repo = makeRepo('sluice');
    const remote = tempDir('sluice-hostile-remote-');
    sluiceOk(repo, 'remote', 'add', '-d', 'origin', remote);
    writeTree(repo, { 'out/model.bin': 'weights\n', 'd/a.txt': 'a\n', 'd/sub/b.txt': 'b\n' });
    sluiceOk(repo, 'add', 'out/model.bin', 'd');
    sluiceOk(repo, 'push');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'data');
    return { repo, remote };
  }

  function commitLink(repo: string, path: string, target: string): void {
    rmSync(join(repo, path), { recursive: true, force: true });
    symlinkSync(target, join(repo, path));
  }

  it('a symlinked parent folder of a file output: checkout and pull refuse to write through it', () => {
    const { repo } = trackedRepo();
    // the .dvc file sits beside the output; keep it while `out` becomes a link
    const dvcText = readFileSync(join(repo, 'out', 'model.bin.dvc'), 'utf8');
    rmSync(join(repo, 'out'), { recursive: true });
    writeFileSync(
      join(repo, 'model.dvc'),
      dvcText.replace('path: model.bin', 'path: out/model.bin'),
    );
    commitLink(repo, 'out', canary);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'link out of the repo');
    for (const args of [
      ['checkout', 'model.dvc'],
      ['checkout', '--force', 'model.dvc'],
      ['pull', 'model.dvc'],
    ]) {
      const out = expectCleanFailure(sluice(repo, ...args));
      expect(out).toContain("symlink 'out'");
      expectCanaryUntouched();
      count('symlinks');
    }
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    expectCleanFailure(sluice(repo, 'pull', 'model.dvc'));
    expectCanaryUntouched();
    count('symlinks');
  });

  it('a tracked folder replaced by a symlink: nothing is written into its target', () => {
    const { repo } = trackedRepo();
    commitLink(repo, 'd', canary);
    for (const args of [
      ['checkout', 'd.dvc'],
      ['checkout', '--force', 'd.dvc'],
      ['pull', 'd.dvc'],
    ]) {
      const out = expectCleanFailure(sluice(repo, ...args));
      expect(out).toContain("symlink 'd'");
      expectCanaryUntouched();
      count('symlinks');
    }
  });

  it('a symlinked subfolder inside a tracked folder: neither written through nor emptied', () => {
    const { repo } = trackedRepo();
    // `d/sub` holds tracked files: writing them would go through the link
    commitLink(repo, 'd/sub', canary);
    const out = expectCleanFailure(sluice(repo, 'checkout', '--force', 'd.dvc'));
    expect(out).toContain("symlink 'd/sub'");
    expectCanaryUntouched();
    // `d/extra` is not in the listing: whatever checkout does with the link, the files behind
    // it are never deleted
    rmSync(join(repo, 'd/sub'));
    writeTree(repo, { 'd/sub/b.txt': 'b\n' });
    symlinkSync(canary, join(repo, 'd', 'extra'));
    sluiceOk(repo, 'checkout', '--force', 'd.dvc');
    expectCanaryUntouched();
    expect(readFileSync(join(repo, 'd', 'sub', 'b.txt'), 'utf8')).toBe('b\n');
    expect(readFileSync(join(repo, 'd', 'a.txt'), 'utf8')).toBe('a\n');
    count('symlinks');
    count('symlinks');
  });
});

describe('YAML bombs and deeply nested documents', () => {
  const bomb = (() => {
    const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 10; i += 1) {
      lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
    }
    return `${lines.join('\n')}\n`;
  })();
  const documents: Record<string, string> = {
    'billion laughs': bomb,
    'billion laughs in block style': bomb.replace(
      /^(a\d+): &(a\d+) \[(.*)\]$/gm,
      (_m, k: string, a: string, items: string) =>
        `${k}: &${a}\n${items
          .split(', ')
          .map((x) => `  - ${x}`)
          .join('\n')}`,
    ),
    '100k [': `x: ${'['.repeat(100_000)}\n`,
    '100k {': `x: ${'{a: '.repeat(100_000)}\n`,
    '5k nested mappings': Array.from({ length: 5000 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join(
      '\n',
    ),
  };
  const targets: Array<[string, (doc: string) => Record<string, string>]> = [
    ['.dvc', (doc) => ({ 'x.dvc': doc })],
    ['dvc.yaml', (doc) => ({ 'dvc.yaml': doc })],
    ['dvc.lock', (doc) => ({ 'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n', 'dvc.lock': doc })],
    [
      'params.yaml',
      (doc) => ({
        'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    params: [a0]\n',
        'params.yaml': doc,
      }),
    ],
  ];

  it('each is rejected with one clear error line', () => {
    const repo = makeRepo('sluice');
    for (const [docName, doc] of Object.entries(documents)) {
      for (const [target, files] of targets) {
        for (const f of ['x.dvc', 'dvc.yaml', 'dvc.lock', 'params.yaml'])
          rmSync(join(repo, f), { force: true });
        writeTree(repo, files(doc));
        const started = Date.now();
        const r = sluice(repo, 'status');
        yamlTimings.push(Date.now() - started);
        const out = expectCleanFailure(r);
        expect(out, `${docName} in ${target}`).toMatch(
          /YAML file structure is corrupted: (nesting is too deep|.*alias)/i,
        );
        count('YAML documents');
      }
    }
  }, 300_000);
});

describe('a remote that returns wrong bytes', () => {
  it('a corrupt file of a folder and a corrupt listing: detected by hash, named, never cached', () => {
    const repo = makeRepo('sluice');
    const remote = tempDir('sluice-wrong-bytes-');
    sluiceOk(repo, 'remote', 'add', '-d', 'origin', remote);
    writeTree(repo, { 'd/a.txt': 'a\n', 'd/b.txt': 'b\n', 'single.bin': 'single\n' });
    sluiceOk(repo, 'add', 'd', 'single.bin');
    sluiceOk(repo, 'push');
    const key = (oid: string): string => join('files', 'md5', oid.slice(0, 2), oid.slice(2));
    const bad = md5('b\n');
    chmodSync(join(remote, key(bad)), 0o644);
    writeFileSync(join(remote, key(bad)), 'B\n');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    rmSync(join(repo, 'd'), { recursive: true });
    rmSync(join(repo, 'single.bin'));
    for (const args of [['fetch'], ['pull']]) {
      const r = sluice(repo, ...args);
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr).toContain(key(bad));
      expect(r.stderr).toMatch(/corrupted/);
      expect(existsSync(join(repo, '.dvc', 'cache', key(bad)))).toBe(false);
      count('wrong bytes');
    }
    // the intact file was placed; the folder with the bad file was not
    expect(readFileSync(join(repo, 'single.bin'), 'utf8')).toBe('single\n');
    expect(existsSync(join(repo, 'd', 'b.txt'))).toBe(false);

    // a listing whose bytes do not match its name
    const dirOid = readFileSync(join(repo, 'd.dvc'), 'utf8').match(/md5: (\w+\.dir)/)?.[1] ?? '';
    chmodSync(join(remote, key(dirOid)), 0o644);
    writeFileSync(join(remote, key(dirOid)), `[${entry('"../../x"')}]`);
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    const r = sluice(repo, 'pull');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(key(dirOid));
    expect(r.stderr).toMatch(/corrupted/);
    expect(existsSync(join(repo, '.dvc', 'cache', key(dirOid)))).toBe(false);
    expect(existsSync(join(repo, 'd'))).toBe(false);
    count('wrong bytes');
  });
});

const EXPECTED_COUNTS = {
  '.dir listings': hostileListings.length * 2 + 2,
  metafiles: 14,
  symlinks: 9,
  'YAML documents': 20,
  'wrong bytes': 3,
  'name round trips': 1,
};

describe('very long and non-ASCII file names', () => {
  it('add, push, pull and checkout round-trip; sluice and dvc status report nothing', () => {
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    const names = [
      'a'.repeat(251) + '.bin', // 255 bytes
      '数'.repeat(85), // 255 bytes of CJK
      '🚀'.repeat(63) + '.b', // 254 bytes of emoji
      nfc,
      nfd,
      '数据集.csv',
      'ünïcödé ß.txt',
      'mixed 🚀 数据 é.json',
    ];
    const files: Record<string, string> = {};
    for (const [i, name] of names.entries()) files[`tree/${name}`] = `content ${i} of ${name}\n`;
    // a top-level file: its .dvc (name + 4 bytes) must also fit in 255
    const top = 'ü'.repeat(124) + '.x'; // 250 bytes, 254 with .dvc
    files[top] = 'top\n';
    files['🚀 launch.txt'] = 'emoji top\n';
    const repo = makeRepo('sluice');
    const remote = tempDir('sluice-names-');
    sluiceOk(repo, 'remote', 'add', '-d', 'origin', remote);
    writeTree(repo, files);
    expect(Buffer.byteLength(names[0] ?? '')).toBe(255);
    expect(Buffer.byteLength(names[1] ?? '')).toBe(255);
    sluiceOk(repo, 'add', 'tree', top, '🚀 launch.txt');
    sluiceOk(repo, 'push');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'names');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    for (const path of ['tree', top, '🚀 launch.txt'])
      rmSync(join(repo, path), { recursive: true });
    sluiceOk(repo, 'pull');
    for (const [path, content] of Object.entries(files)) {
      expect(readFileSync(join(repo, path), 'utf8'), path).toBe(content);
    }
    // NFC and NFD stay two distinct files, each with its own bytes
    expect(readFileSync(join(repo, 'tree', nfc), 'utf8')).not.toBe(
      readFileSync(join(repo, 'tree', nfd), 'utf8'),
    );
    rmSync(join(repo, 'tree', nfd));
    sluiceOk(repo, 'checkout');
    expect(readFileSync(join(repo, 'tree', nfd), 'utf8')).toBe(files[`tree/${nfd}`]);
    expect(sluiceOk(repo, 'status').stdout.trim()).toBe('Data and pipelines are up to date.');
    const real = dvc(repo, 'status');
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout.trim()).toBe('Data and pipelines are up to date.');
    count('name round trips');

    // Recorded only when every case above ran to its end (their counts are complete).
    expect(tried).toEqual(EXPECTED_COUNTS);
    const sorted = [...yamlTimings].sort((a, b) => a - b);
    recordReliability({
      id: '40-hostile-input',
      title: 'Hostile input',
      body: [
        'Forged metafiles, `.dir` listings and remotes, run through the real `bin/sluice`',
        '(`test/reliability/hostileInput.test.ts`). Each refusal is checked to come before any',
        'write outside the repository: a canary folder beside the repository is compared byte',
        'for byte before and after every command.',
        '',
        '| input | cases tried |',
        '|---|---|',
        ...Object.entries(tried)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `| ${k} | ${n} |`),
        '',
        '- `.dir` listings: `..`, absolute, JSON-escaped `..`, `./..`, empty segments,',
        '  backslashes, NUL, a nested `.git/config`, a file also listed as a folder, and a forged',
        '  md5 (a path where a hash belongs), from the cache and from a remote via `pull`.',
        '- Metafiles: `.dvc`/`dvc.yaml`/`dvc.lock` paths and `wdir` that are absolute or escape',
        '  with `..`, an output under `.git/hooks`, forged md5 values.',
        '- Symlinks committed to lead out of the workspace (a parent folder of an output, a',
        '  tracked folder, a subfolder of one): checkout and pull refuse to write through them.',
        `- YAML bombs (billion laughs, flow and block style) and 100k-deep nesting in .dvc,`,
        `  dvc.yaml, dvc.lock and params.yaml: each rejected with one error line; slowest`,
        `  rejection ${sorted.at(-1) ?? 0} ms, median ${sorted[Math.floor(sorted.length / 2)] ?? 0} ms (information only).`,
        '- A remote serving wrong bytes for a file and for a listing: detected by hash, named in',
        '  the error, exit 1, never put into the cache.',
        '- 255-byte names (ASCII, CJK), emoji, NFC and NFD spellings of one name side by side:',
        '  add/push/pull/checkout round trip, then `sluice status` and real DVC `dvc status`',
        '  report nothing.',
      ].join('\n'),
    });
  }, 180_000);
});
