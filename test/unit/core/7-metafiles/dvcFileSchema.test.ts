import { describe, expect, it } from 'vitest';
import { DvcFileError } from '../../../../src/core/1-base/errors.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';
import { validateDvcFile } from '../../../../src/core/7-metafiles/dvcFileSchema.js';
import { parseYamlFile } from '../../../../src/core/7-metafiles/yaml/parse.js';

const H = 'acbd18db4cc2f85cedef654fccc4a4d8';

/** The reason and path of the refusal of this `.dvc` text (messages as DVC's voluptuous words them). */
function problem(text: string, lenient = false): string {
  const { data } = parseYamlFile(text, 'x.dvc');
  try {
    validateDvcFile(data, 'x.dvc', undefined, { lenient });
  } catch (error) {
    expect(error).toBeInstanceOf(DvcFileError);
    return (error as DvcFileError).message.replace("'x.dvc' is invalid: ", '');
  }
  return 'valid';
}

function validated(text: string, lenient = false): unknown {
  const { data } = parseYamlFile(text, 'x.dvc');
  return validateDvcFile(data, 'x.dvc', undefined, { lenient });
}

describe('validateDvcFile', () => {
  it('accepts what DVC 3 writes', () => {
    const text = `md5: ${H}
frozen: true
wdir: sub
deps:
- path: data/x
  repo:
    url: https://example.com/r.git
    rev: main
    rev_lock: abc1234
    config: cfg.toml
    remote:
      url: s3://b
- path: s3://b/k
  etag: AbCdEf
  cloud:
    r:
      version_id: v1
      etag: XyZ1
  fs_config:
    region: x
- path: db
  db:
    query: select 1
    connection: c
    file_format: csv
    table: t
outs:
- md5: ${H}.dir
  size: 10
  nfiles: 2
  hash: md5
  path: out
  desc: d
  type: model
  labels:
  - a
  meta:
    any: [1, 2]
  cache: false
  persist: true
  remote: r
  push: false
  isexec: true
  files:
  - relpath: a
    md5: ${H.toUpperCase()}
    size: 1
    isexec: false
    cloud:
      r:
        etag: e12
meta: {x: 1}
always_changed: true
desc: a file
`;
    expect(problem(text)).toBe('valid');
    const data = validated(text) as { outs: Array<{ files: Array<{ md5: string }> }> };
    // Coercions reach into list items: the listing's md5 is lower-cased in place.
    expect(data.outs[0].files[0].md5).toBe(H);
    expect(problem('deps: null\nouts: ~\nwdir: null\nmd5: null\n')).toBe('valid');
    expect(validated('deps: null\nouts: ~\n')).toEqual({ deps: null, outs: null });
  });

  it('coerces hashes as DVC does: int to str, md5 and checksum lower-cased, empty to null', () => {
    const text =
      'md5: 123456\nouts:\n- md5: ABCDEF\n  checksum: ABCDEF\n  etag: AbCdEf\n  path: a\n' +
      '- md5: ""\n  etag: ""\n  path: b\n- md5: 12345678901234567890123456789012\n  path: c\n' +
      '- md5: null\n  path: d\n';
    expect(validated(text)).toEqual({
      md5: '123456',
      outs: [
        { md5: 'abcdef', checksum: 'abcdef', etag: 'AbCdEf', path: 'a' },
        { md5: null, etag: null, path: 'b' },
        { md5: '12345678901234567890123456789012', path: 'c' },
        { md5: null, path: 'd' },
      ],
    });
  });

  it('words each refusal and names the path as DVC does', () => {
    const cases: Array<[string, string]> = [
      ['foo: 1\n', "extra keys not allowed @ data['foo']"],
      ['outs:\n- path: a\n  foo: 1\n', "extra keys not allowed @ data['outs'][0]['foo']"],
      ['outs:\n- md5: abc\n', "required key not provided @ data['outs'][0]['path']"],
      ['outs:\n- path: 3\n', "expected str @ data['outs'][0]['path']"],
      ['outs:\n- path: a\n  cache: 1\n', "expected boolean @ data['outs'][0]['cache']"],
      ['outs:\n- path: a\n  size: x\n', "expected int @ data['outs'][0]['size']"],
      ['outs:\n- path: a\n  size: 1.5\n', "expected int @ data['outs'][0]['size']"],
      ['outs:\n- path: a\n  fs_config: [1]\n', "expected dict @ data['outs'][0]['fs_config']"],
      ['outs:\n- path: a\n  labels: x\n', "expected a list @ data['outs'][0]['labels']"],
      ['outs:\n- path: a\n  labels: [1]\n', "expected str @ data['outs'][0]['labels'][0]"],
      ['outs: x\n', "expected a list @ data['outs']"],
      ['outs:\n- x\n', "expected a dictionary @ data['outs'][0]"],
      ['deps: {a: 1}\n', "expected a list @ data['deps']"],
      ['wdir: 3\n', "expected str or None @ data['wdir']"],
      ['md5: [1]\n', "expected str for dictionary value @ data['md5']"],
      ['md5: 1.5\n', "expected str for dictionary value @ data['md5']"],
      ['md5: ab\n', "length of value must be at least 3 for dictionary value @ data['md5']"],
      ['md5: 12\n', "length of value must be at least 3 for dictionary value @ data['md5']"],
      [
        'outs:\n- path: a\n  etag: ab\n',
        "length of value must be at least 3 for dictionary value @ data['outs'][0]['etag']",
      ],
      [
        'outs:\n- path: a\n  checksum: ab\n',
        "length of value must be at least 3 for dictionary value @ data['outs'][0]['checksum']",
      ],
      ['frozen: yes please\n', "expected boolean @ data['frozen']"],
      ['locked: 1\n', "expected boolean @ data['locked']"],
      ['always_changed: 1\n', "expected boolean @ data['always_changed']"],
      ['desc: 1\n', "expected str @ data['desc']"],
      [
        'outs:\n- path: a\n  cloud:\n    r: {etag: abc}\n    s: {etag: abc}\n',
        "length of value must be at most 1 @ data['outs'][0]['cloud']",
      ],
      ['outs:\n- path: a\n  cloud: x\n', "expected dict @ data['outs'][0]['cloud']"],
      [
        'outs:\n- path: a\n  cloud:\n    r: {foo: 1}\n',
        "extra keys not allowed @ data['outs'][0]['cloud']['r']['foo']",
      ],
      [
        'outs:\n- path: a\n  cloud:\n    r: {etag: ab}\n',
        "length of value must be at least 3 for dictionary value @ data['outs'][0]['cloud']['r']['etag']",
      ],
      [
        'outs:\n- path: a\n  cloud:\n    r: {version_id: 1}\n',
        "expected str @ data['outs'][0]['cloud']['r']['version_id']",
      ],
      [
        'outs:\n- path: a\n  files:\n  - md5: abc\n',
        "required key not provided @ data['outs'][0]['files'][0]['relpath']",
      ],
      [
        'outs:\n- path: a\n  files:\n  - relpath: x\n    isexec: 1\n',
        "expected boolean @ data['outs'][0]['files'][0]['isexec']",
      ],
      [
        'outs:\n- path: a\n  files:\n  - relpath: x\n    cloud: 1\n',
        "expected dict @ data['outs'][0]['files'][0]['cloud']",
      ],
      ['outs:\n- path: a\n  hash: 1\n', "expected str @ data['outs'][0]['hash']"],
      ['outs:\n- path: a\n  persist: 1\n', "expected boolean @ data['outs'][0]['persist']"],
      ['outs:\n- path: a\n  remote: 1\n', "expected str @ data['outs'][0]['remote']"],
      ['outs:\n- path: a\n  push: 1\n', "expected boolean @ data['outs'][0]['push']"],
      ['outs:\n- path: a\n  type: 1\n', "expected str @ data['outs'][0]['type']"],
      ['outs:\n- path: a\n  nfiles: x\n', "expected int @ data['outs'][0]['nfiles']"],
      ['deps:\n- path: a\n  repo: x\n', "expected a dictionary @ data['deps'][0]['repo']"],
      [
        'deps:\n- path: a\n  repo: {rev: x}\n',
        "required key not provided @ data['deps'][0]['repo']['url']",
      ],
      [
        'deps:\n- path: a\n  repo: {url: u, rev: 1}\n',
        "expected str @ data['deps'][0]['repo']['rev']",
      ],
      [
        'deps:\n- path: a\n  repo: {url: u, rev_lock: 1}\n',
        "expected str @ data['deps'][0]['repo']['rev_lock']",
      ],
      [
        'deps:\n- path: a\n  repo: {url: u, config: 1}\n',
        "expected str or dict @ data['deps'][0]['repo']['config']",
      ],
      [
        'deps:\n- path: a\n  repo: {url: u, remote: [x]}\n',
        "expected str or dict @ data['deps'][0]['repo']['remote']",
      ],
      ['deps:\n- path: a\n  db: {query: 1}\n', "expected str @ data['deps'][0]['db']['query']"],
      [
        'deps:\n- path: a\n  db: {connection: 1}\n',
        "expected str @ data['deps'][0]['db']['connection']",
      ],
      [
        'deps:\n- path: a\n  db: {file_format: 1}\n',
        "expected str @ data['deps'][0]['db']['file_format']",
      ],
      ['deps:\n- path: a\n  db: {table: 1}\n', "expected str @ data['deps'][0]['db']['table']"],
      [
        'deps:\n- path: a\n  db: {foo: x}\n',
        "extra keys not allowed @ data['deps'][0]['db']['foo']",
      ],
      ['deps:\n- path: a\n  files: x\n', "expected a list @ data['deps'][0]['files']"],
      ['deps:\n- path: a\n  fs_config: x\n', "expected dict @ data['deps'][0]['fs_config']"],
      ['deps:\n- path: a\n  desc: x\n', "extra keys not allowed @ data['deps'][0]['desc']"],
      [
        'deps:\n- path: a\n  md5: ab\n',
        "length of value must be at least 3 for dictionary value @ data['deps'][0]['md5']",
      ],
      ['deps:\n- path: a\n  cloud: 1\n', "expected dict @ data['deps'][0]['cloud']"],
    ];
    for (const [text, message] of cases) expect(problem(text), text).toBe(message);
  });

  it('lower-cases the stage md5 and keeps any meta value as it is', () => {
    expect(validated('md5: ABCDEF\nmeta: {x: [1, {y: 2}]}\nouts:\n- path: a\n  meta: 3\n')).toEqual(
      {
        md5: 'abcdef',
        meta: { x: [1, { y: 2 }] },
        outs: [{ path: 'a', meta: 3 }],
      },
    );
  });

  it('accepts a bool, a big int and an int for an int field, as Python does', () => {
    expect(problem('outs:\n- path: a\n  size: true\n')).toBe('valid');
    expect(problem('outs:\n- path: a\n  size: 123456789012345678901234567890\n')).toBe('valid');
    expect(problem('outs:\n- path: a\n  size: 0\n')).toBe('valid');
  });

  it('refuses a float where a mapping is expected', () => {
    expect(() => validateDvcFile(new PyFloat(1), 'x.dvc')).toThrow(
      "'x.dvc' is invalid: expected a dictionary @ data",
    );
    expect(() => validateDvcFile({ outs: [new PyFloat(1)] }, 'x.dvc')).toThrow(
      "expected a dictionary @ data['outs'][0]",
    );
    expect(() => validateDvcFile([], 'x.dvc')).toThrow('expected a dictionary @ data');
    expect(() => validateDvcFile(null, 'x.dvc')).toThrow('expected a dictionary @ data');
  });

  it('takes older eras only when lenient: cmd, metric, plot, tags', () => {
    const old = [
      'cmd: echo\n',
      'cmd: [echo a, echo b]\n',
      'outs:\n- path: a\n  metric: true\n',
      'outs:\n- path: a\n  metric: null\n',
      'outs:\n- path: a\n  metric: {type: json, xpath: acc}\n',
      'outs:\n- path: a\n  metric: {type: null, xpath: null}\n',
      'outs:\n- path: a\n  plot: anything\n',
      'outs:\n- path: a\n  tags: [x]\n',
    ];
    for (const text of old) {
      expect(problem(text, true), text).toBe('valid');
      expect(problem(text), text).toMatch(/^extra keys not allowed @ data/);
    }
    expect(problem('cmd: 3\n', true)).toBe("expected str or list of str @ data['cmd']");
    expect(problem('cmd: [a, 3]\n', true)).toBe("expected str or list of str @ data['cmd']");
    expect(problem('outs:\n- path: a\n  metric: {type: 3}\n', true)).toBe(
      "expected str @ data['outs'][0]['metric']['type']",
    );
    expect(problem('outs:\n- path: a\n  metric: {xpath: 3}\n', true)).toBe(
      "expected str @ data['outs'][0]['metric']['xpath']",
    );
    expect(problem('outs:\n- path: a\n  metric: {foo: x}\n', true)).toBe(
      "extra keys not allowed @ data['outs'][0]['metric']['foo']",
    );
    expect(problem('outs:\n- path: a\n  metric: x\n', true)).toBe(
      "expected a dictionary @ data['outs'][0]['metric']",
    );
  });

  it('points at the line and column of the offending key when given the document', () => {
    const text = `outs:\n- path: a\n  size: big\n`;
    const { doc, data } = parseYamlFile(text, 'x.dvc');
    try {
      validateDvcFile(data, 'x.dvc', doc);
      expect.unreachable();
    } catch (error) {
      const e = error as DvcFileError;
      expect(e.message).toBe("'x.dvc:3:3' is invalid: expected int @ data['outs'][0]['size']");
      expect([e.file, e.line, e.column]).toEqual(['x.dvc', 3, 3]);
    }
  });
});
