import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DvcFileError, SluiceError } from '../../../../src/core/1-base/errors.js';
import {
  computeStageMd5,
  isDvcFileName,
  isUrl,
  loadDvcFile,
  newDataFileData,
  resolveInRepo,
  saveDvcFile,
  syncRecordedState,
} from '../../../../src/core/7-metafiles/dvcFile.js';
import type { EntryObject } from '../../../../src/core/7-metafiles/entries.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';
import { parseYamlFile } from '../../../../src/core/7-metafiles/yaml/parse.js';
import type { Repo } from '../../../../src/core/6-repo/repo.js';
import { openScratchRepo } from '../../../helpers/scratchRepo.js';

let dir = '';
let repo: Repo;
beforeEach(async () => {
  ({ dir, repo } = await openScratchRepo('sluice-dvc-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
const read = (path: string): string => readFileSync(join(dir, path), 'utf8');

function refusal(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error('expected a SluiceError');
}

const data = (text: string): EntryObject => parseYamlFile(text, 'x.dvc').data as EntryObject;

/**
 * Single-stage files of older DVC eras and an import. The md5s are DVC 3's `dict_md5` with
 * `compute_md5`'s exclusions (for the import, DVC's `compute_md5` of the loaded stage: the same).
 */
const DVCFILE = `desc: a stage
cmd: python train.py
wdir: .
meta:
  owner: me
deps:
- md5: 0123456789abcdef0123456789abcdef
  size: 12
  path: train.py
- path: data
  md5: 1111111111111111111111111111111a.dir
  nfiles: 2
  size: 30
outs:
- md5: 2222222222222222222222222222222a
  size: 5
  path: model.pkl
  cache: true
  metric: false
  persist: true
  desc: the model
frozen: true
always_changed: false
`;
const IMPORT = `md5: ffffffffffffffffffffffffffffffff
frozen: true
deps:
- path: data/x
  repo:
    url: https://example.com/r.git
    rev_lock: abcdef0123456789abcdef0123456789abcdef01
outs:
- md5: 3333333333333333333333333333333a
  size: 3
  hash: md5
  path: x
  isexec: true
`;
const WDIR = `cmd:
- echo a
- echo b
wdir: sub
locked: true
outs:
- path: o
  md5: 4444444444444444444444444444444a
  metric:
    type: json
    xpath: acc
`;

describe('isDvcFileName', () => {
  it('knows .dvc files and Dvcfile by their last segment', () => {
    expect(isDvcFileName('data.dvc')).toBe(true);
    expect(isDvcFileName('a/b/data.xml.dvc')).toBe(true);
    expect(isDvcFileName('Dvcfile')).toBe(true);
    expect(isDvcFileName('sub/Dvcfile')).toBe(true);
    expect(isDvcFileName('dvc.yaml')).toBe(false);
    expect(isDvcFileName('data.dvcx')).toBe(false);
    expect(isDvcFileName('Dvcfile.txt')).toBe(false);
    expect(isDvcFileName('x.dvc/file')).toBe(false);
    expect(isDvcFileName('Dvcfile/inner')).toBe(false);
  });
});

describe('isUrl', () => {
  it('takes scheme:// and remote:// paths for URLs, nothing else', () => {
    for (const url of ['s3://b/k', 'https://h/p', 'git+ssh://h/r', 'x.y-z://a', 'remote://r/p']) {
      expect(isUrl(url), url).toBe(true);
    }
    for (const path of ['data/x', '1s3://b', 'a/s3://b', 's3:/b', '://b', 'remote:/x', 'c:\\x']) {
      expect(isUrl(path), path).toBe(false);
    }
  });
});

describe('resolveInRepo', () => {
  it('joins the wdir and normalises', () => {
    expect(resolveInRepo('f.dvc', '', 'data')).toBe('data');
    expect(resolveInRepo('f.dvc', 'sub', 'data')).toBe('sub/data');
    expect(resolveInRepo('f.dvc', 'sub', '../data')).toBe('data');
    expect(resolveInRepo('f.dvc', '', 'a/./b/')).toBe('a/b');
    expect(resolveInRepo('f.dvc', '', '.')).toBe('');
    expect(resolveInRepo('f.dvc', 'sub', '..')).toBe('');
    expect(resolveInRepo('f.dvc', '', 'a/..')).toBe('');
  });

  it('refuses absolute paths and paths that leave the repository', () => {
    const abs = refusal(() => resolveInRepo('f.dvc', '', '/etc/passwd'));
    expect([abs.code, abs.message]).toEqual([
      'BAD_PATH',
      "'f.dvc': absolute path '/etc/passwd' is not allowed",
    ]);
    expect(abs.hint).toBe('paths in metafiles are relative to the file');
    for (const [wdir, path] of [
      ['', '..'],
      ['', '../x'],
      ['sub', '../../x'],
      ['sub', '../..'],
    ] as const) {
      const out = refusal(() => resolveInRepo('f.dvc', wdir, path));
      expect([out.code, out.message]).toEqual([
        'BAD_PATH',
        `'f.dvc': path '${path}' points outside the repository`,
      ]);
      expect(out.hint).toBe('paths in metafiles must stay inside the repository');
    }
    // A file or folder whose name starts with two dots is inside.
    expect(resolveInRepo('f.dvc', '', '..data')).toBe('..data');
  });

  it('refuses what a Windows DVC would read as leaving the repository', () => {
    const out = refusal(() => resolveInRepo('f.dvc', '', 'a/..\\..\\x'));
    expect([out.code, out.message]).toEqual([
      'BAD_PATH',
      "refusing unsafe path 'a/..\\..\\x' listed in 'f.dvc'",
    ]);
  });
});

describe('loadDvcFile', () => {
  it('reads a data source with its output options', () => {
    write(
      'sub/data.dvc',
      `outs:
- md5: 2222222222222222222222222222222a
  size: 5
  path: data
  cache: false
  persist: true
  remote: store
  push: false
`,
    );
    const file = loadDvcFile(repo, 'sub/data.dvc');
    expect(file.stage.kind).toBe('data');
    expect(file.stage.file).toBe('sub/data.dvc');
    expect(file.stage.wdir).toBe('sub');
    expect(file.stage.frozen).toBe(false);
    expect(file.stage.props.alwaysChanged).toBe(false);
    expect(file.stage.cmd).toBeUndefined();
    expect(file.stage.deps).toEqual([]);
    expect(file.text).toBe(read('sub/data.dvc'));
    expect(file.outEntries).toBe(file.data.outs);
    expect(file.depEntries).toEqual([]);
    const [out] = file.stage.outs;
    expect([out.path, out.repoPath, out.cache, out.persist, out.kind]).toEqual([
      'data',
      'sub/data',
      false,
      true,
      'out',
    ]);
    expect(out.options).toStrictEqual({
      cache: false,
      persist: true,
      kind: 'out',
      remote: 'store',
      push: false,
    });
    expect(out.recorded.hash?.value).toBe('2222222222222222222222222222222a');
  });

  it('takes defaults for an output without options', () => {
    write('data.dvc', 'outs:\n- path: data\n');
    const file = loadDvcFile(repo, 'data.dvc');
    expect(file.stage.wdir).toBe('');
    expect(file.stage.props).toStrictEqual({ frozen: false, alwaysChanged: false });
    expect(file.stage.outs[0].options).toStrictEqual({
      cache: true,
      persist: false,
      kind: 'out',
      push: true,
    });
  });

  it('reads an old single-stage file: cmd, deps, wdir, metrics, frozen, desc, md5', () => {
    write('Dvcfile', DVCFILE);
    const file = loadDvcFile(repo, 'Dvcfile');
    const stage = file.stage;
    expect(stage.kind).toBe('single');
    expect(stage.cmd).toBe('python train.py');
    expect(stage.frozen).toBe(true);
    expect(stage.props.desc).toBe('a stage');
    expect(stage.props.md5).toBeUndefined();
    expect(stage.deps.map((d) => [d.path, d.repoPath, d.recorded.hash?.value])).toEqual([
      ['train.py', 'train.py', '0123456789abcdef0123456789abcdef'],
      ['data', 'data', '1111111111111111111111111111111a.dir'],
    ]);
    expect(stage.outs[0].kind).toBe('out');

    write('w.dvc', WDIR);
    const w = loadDvcFile(repo, 'w.dvc').stage;
    expect(w.kind).toBe('single');
    expect(w.cmd).toEqual(['echo a', 'echo b']);
    expect(w.wdir).toBe('sub');
    expect(w.frozen).toBe(true);
    expect(w.outs[0].repoPath).toBe('sub/o');
    expect(w.outs[0].kind).toBe('metric');
    expect(w.outs[0].options.metricSpec).toEqual({ type: 'json', xpath: 'acc' });

    write('m.dvc', 'cmd: x\nalways_changed: true\nouts:\n- path: m.json\n  metric: true\n');
    const m = loadDvcFile(repo, 'm.dvc').stage;
    expect(m.props.alwaysChanged).toBe(true);
    expect(m.frozen).toBe(false);
    expect(m.outs[0].kind).toBe('metric');
    expect(m.outs[0].options.metricSpec).toEqual({});

    // `metric: false` and `metric: null` are plain outputs; a null stage md5 is no md5.
    write(
      'n.dvc',
      'md5: null\ncmd: x\nouts:\n- path: a\n  metric: false\n- path: b\n  metric: null\n',
    );
    const n = loadDvcFile(repo, 'n.dvc').stage;
    expect(n.props.md5).toBeUndefined();
    expect(n.outs.map((o) => o.options)).toStrictEqual([
      { cache: true, persist: false, kind: 'out', push: true },
      { cache: true, persist: false, kind: 'out', push: true },
    ]);
  });

  it('reads an import: repo info, stage md5, outputs', () => {
    write('x.dvc', IMPORT);
    const file = loadDvcFile(repo, 'x.dvc');
    expect(file.stage.kind).toBe('import');
    expect(file.stage.props.md5).toBe('ffffffffffffffffffffffffffffffff');
    const [dep] = file.stage.deps;
    expect(dep.path).toBe('data/x');
    expect(dep.repo).toEqual({
      url: 'https://example.com/r.git',
      rev_lock: 'abcdef0123456789abcdef0123456789abcdef01',
    });
    expect(file.stage.outs[0].recorded).toMatchObject({ isexec: true, size: 3 });
  });

  it('keeps an import-url source outside the repository as an external dependency', () => {
    for (const [src, repoPath] of [
      ['s3://bucket/key', undefined],
      ['/abs/file', undefined],
      ['../outside', undefined],
      ['..', undefined],
      ['remote://r/x', undefined],
      ['inside/file', 'inside/file'],
      ['..inside', '..inside'],
    ] as const) {
      write('u.dvc', `deps:\n- path: ${src}\nouts:\n- path: got\n`);
      const [dep] = loadDvcFile(repo, 'u.dvc').stage.deps;
      expect([dep.path, dep.repoPath, dep.repo], src).toEqual([src, repoPath, undefined]);
    }
    write('sub/u.dvc', 'deps:\n- path: ../x\nouts:\n- path: got\n');
    expect(loadDvcFile(repo, 'sub/u.dvc').stage.deps[0].repoPath).toBe('x');
    write('sub/v.dvc', 'deps:\n- path: ../../x\nouts:\n- path: got\n');
    expect(loadDvcFile(repo, 'sub/v.dvc').stage.deps[0].repoPath).toBeUndefined();
  });

  it('reads an empty file as a stage with nothing, as DVC does', () => {
    for (const text of ['', 'null\n', '{}\n']) {
      write('e.dvc', text);
      const file = loadDvcFile(repo, 'e.dvc');
      expect([file.stage.kind, file.stage.outs, file.stage.deps], text).toEqual(['data', [], []]);
    }
  });

  it('refuses a missing file and one that is not a mapping', () => {
    for (const text of ['- a\n- b\n', 'just text\n', '3\n']) {
      write('l.dvc', text);
      const error = refusal(() => loadDvcFile(repo, 'l.dvc'));
      expect(error).toBeInstanceOf(DvcFileError);
      expect(error.message, text).toBe("'l.dvc:1' is invalid: expected a mapping at the top level");
    }
    const missing = refusal(() => loadDvcFile(repo, 'nothing.dvc'));
    expect([missing.code, missing.message]).toEqual(['NOT_FOUND', "'nothing.dvc' does not exist"]);
  });

  it('passes on an error other than a missing file', () => {
    mkdirSync(join(dir, 'folder.dvc'));
    expect(() => loadDvcFile(repo, 'folder.dvc')).toThrow(/EISDIR/);
  });

  it('refuses a wdir that leaves the repository', () => {
    write('w.dvc', 'wdir: ../..\nouts:\n- path: x\n');
    expect(refusal(() => loadDvcFile(repo, 'w.dvc')).code).toBe('BAD_PATH');
    write('sub/w.dvc', 'wdir: ..\nouts:\n- path: x\n');
    expect(loadDvcFile(repo, 'sub/w.dvc').stage.outs[0].repoPath).toBe('x');
  });
});

describe('computeStageMd5', () => {
  it("matches DVC's stage md5 of older single-stage files and imports", () => {
    expect(computeStageMd5(data(DVCFILE))).toBe('78f3f432ec6ede80bbed266ffd403654');
    expect(computeStageMd5(data(IMPORT))).toBe('4966a4889c0b8d00bc9914fc4cd8a331');
    expect(computeStageMd5(data(WDIR))).toBe('2a1bd647cb14101a5621409517dd8e09');
    expect(
      computeStageMd5({
        cmd: 'é ünicode',
        outs: [{ path: 'a b', md5: 'x'.repeat(32), cache: false }],
      }),
    ).toBe('a364ad0d7e6b6a071935ba9e16452de8');
  });

  it('ignores a default wdir, md5, meta and desc; counts any other wdir', () => {
    const base = computeStageMd5({ cmd: 'x' });
    expect(computeStageMd5({ wdir: '.', cmd: 'x', md5: 'a', meta: { b: 1 }, desc: 'd' })).toBe(
      base,
    );
    expect(computeStageMd5({ wdir: 'sub', cmd: 'x' })).not.toBe(base);
    expect(computeStageMd5({ cmd: 'x', extra: 1 })).not.toBe(base);
  });

  it('has no md5 for a data source', () => {
    expect(computeStageMd5({ outs: [{ path: 'x' }] })).toBeUndefined();
    expect(computeStageMd5({ deps: null, outs: [] })).toBeUndefined();
    expect(computeStageMd5({ deps: [] })).toBe(computeStageMd5({ deps: [] }));
    expect(computeStageMd5({ deps: [] })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('skips only a wdir of "."', () => {
    expect(computeStageMd5({ cmd: '.' })).toBe('2e220606ff45569d79d5da7a9e32a7bd');
  });

  it('leaves out annotations of an output (type, labels, meta, desc)', () => {
    const bare = computeStageMd5({ cmd: 'x', outs: [{ path: 'a' }] });
    expect(bare).toBe('2ae5339935487d629271344d207a3923');
    for (const [key, value] of [
      ['type', 'model'],
      ['labels', ['l']],
      ['meta', { a: 1 }],
      ['desc', 'd'],
    ] as const) {
      expect(computeStageMd5({ cmd: 'x', outs: [{ path: 'a', [key]: value }] }), key).toBe(bare);
    }
  });

  it('hashes a null value as null', () => {
    expect(computeStageMd5({ cmd: 'x', outs: [{ path: 'a', md5: null }] })).toBe(
      'be752766b30151ec665b5832077f6d61',
    );
  });

  it('strips the excluded keys at every level, and keeps a float a float', () => {
    // DVC: dict_md5({'cmd': 'x', 'outs': [{'path': 'x', 'foo': 1.0, 'size': 3}]}, exclude=[...]).
    expect(computeStageMd5({ cmd: 'x', outs: [{ path: 'x', foo: new PyFloat(1), size: 3 }] })).toBe(
      '480c6443627a967cbb48a4267ed9835e',
    );
  });
});

describe('syncRecordedState', () => {
  it('writes recorded hashes back, canonical key order for a new entry, and the stage md5 first', () => {
    write('Dvcfile', 'cmd: python train.py\ndeps:\n- path: train.py\nouts:\n- path: model.pkl\n');
    const file = loadDvcFile(repo, 'Dvcfile');
    file.stage.deps[0].recorded = { hash: { name: 'md5', value: 'a'.repeat(32) }, size: 3 };
    file.stage.outs[0].recorded = { hash: { name: 'md5-dos2unix', value: 'b'.repeat(32) } };
    syncRecordedState(file);
    expect(Object.keys(file.data)).toEqual(['md5', 'cmd', 'deps', 'outs']);
    expect(file.data.md5).toBe(computeStageMd5(file.data));
    expect(file.depEntries[0]).toEqual({
      md5: 'a'.repeat(32),
      size: 3,
      hash: 'md5',
      path: 'train.py',
    });
    expect(Object.keys(file.depEntries[0])).toEqual(['md5', 'size', 'hash', 'path']);
    expect(Object.keys(file.outEntries[0])).toEqual(['md5', 'path']);
  });

  it('keeps the key order of an entry that already had a hash, and a desc before the md5', () => {
    write(
      'Dvcfile',
      'desc: d\ncmd: c\nouts:\n- path: o\n  md5: cccccccccccccccccccccccccccccccc\n',
    );
    const file = loadDvcFile(repo, 'Dvcfile');
    file.stage.outs[0].recorded = { hash: { name: 'md5-dos2unix', value: 'd'.repeat(32) } };
    syncRecordedState(file);
    expect(Object.keys(file.data)).toEqual(['desc', 'md5', 'cmd', 'outs']);
    expect(Object.keys(file.outEntries[0])).toEqual(['path', 'md5']);
    // A second sync replaces the md5 in place.
    file.stage.outs[0].recorded = { hash: { name: 'md5-dos2unix', value: 'e'.repeat(32) } };
    syncRecordedState(file);
    expect(Object.keys(file.data)).toEqual(['desc', 'md5', 'cmd', 'outs']);
    expect(file.data.md5).toBe(computeStageMd5(file.data));
  });

  it('treats an etag or checksum as an earlier hash too', () => {
    for (const key of ['etag', 'checksum']) {
      write('i.dvc', `deps:\n- path: s3://b/k\n  ${key}: abc\nouts:\n- path: o\n`);
      const file = loadDvcFile(repo, 'i.dvc');
      syncRecordedState(file);
      expect(Object.keys(file.depEntries[0]), key).toEqual(['path', key]);
    }
  });

  it('gives an import its md5 but never a data source', () => {
    write('x.dvc', IMPORT);
    const imp = loadDvcFile(repo, 'x.dvc');
    syncRecordedState(imp);
    expect(imp.data.md5).toBe('4966a4889c0b8d00bc9914fc4cd8a331');
    write('d.dvc', 'deps: []\nouts:\n- path: d\n');
    const plain = loadDvcFile(repo, 'd.dvc');
    plain.stage.outs[0].recorded = { hash: { name: 'md5', value: 'f'.repeat(32) } };
    syncRecordedState(plain);
    expect(plain.data).toEqual({
      deps: [],
      outs: [{ md5: 'f'.repeat(32), hash: 'md5', path: 'd' }],
    });
  });
});

describe('newDataFileData and saveDvcFile', () => {
  it('writes a new file in DVC layout, creating its folder', async () => {
    const entry = { md5: 'a'.repeat(32), size: 1, hash: 'md5', path: 'data' };
    const text = await saveDvcFile(repo, 'deep/sub/data.dvc', newDataFileData(entry));
    expect(text).toBe(`outs:\n- md5: ${'a'.repeat(32)}\n  size: 1\n  hash: md5\n  path: data\n`);
    expect(read('deep/sub/data.dvc')).toBe(text);
  });

  it('keeps the comments of the old text', async () => {
    const old = '# keep me\nouts:\n- path: data # and me\n';
    write('data.dvc', old);
    const text = await saveDvcFile(repo, 'data.dvc', { outs: [{ path: 'data', size: 2 }] }, old);
    expect(text).toContain('# keep me');
    expect(text).toContain('# and me');
    expect(text).toContain('size: 2');
    expect(read('data.dvc')).toBe(text);
  });
});
