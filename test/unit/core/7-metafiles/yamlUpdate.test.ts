import { describe, expect, it } from 'vitest';
import { DvcFileError } from '../../../../src/core/1-base/errors.js';
import { validateDvcFile } from '../../../../src/core/7-metafiles/dvcFileSchema.js';
import { dumpYaml } from '../../../../src/core/7-metafiles/yaml/dump.js';
import { parseYamlFile } from '../../../../src/core/7-metafiles/yaml/parse.js';
import { updateYamlText } from '../../../../src/core/7-metafiles/yaml/update.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';

describe('updateYamlText', () => {
  it('replaces values in place, removes keys, replaces lists whose length changed', () => {
    const old = 'a: 1  # keep me\nb:\n  c: x\n  d: [1, 2]\nlst:\n- 1\n- 2\nz: gone\n';
    const next = { a: 2, b: { c: 'x', d: [1, 2] }, lst: [1, 2, 3] };
    expect(updateYamlText(old, next)).toBe(
      'a: 2  # keep me\nb:\n  c: x\n  d: [1, 2]\nlst:\n- 1\n- 2\n- 3\n',
    );
  });

  it('does not touch values that are equal in Python (1 == 1.0)', () => {
    const old = 'x: 1.000\ny: 1\n';
    expect(updateYamlText(old, { x: new PyFloat(1), y: new PyFloat(1) })).toBe(old);
  });
});

describe('parseYamlFile', () => {
  it('keeps Python number types', () => {
    const { data } = parseYamlFile(
      'a: 1.0\nb: 1\nc: 1_000\nd: yes\ne: 0o17\nf: 1e5\ng: .inf\nh: 12345678901234567890\ni: 2001-01-01\n',
      'p.yaml',
    );
    const d = data as Record<string, unknown>;
    expect(d.a).toEqual(new PyFloat(1));
    expect(d.b).toBe(1);
    expect(d.c).toBe(1000);
    expect(d.d).toBe('yes');
    expect(d.e).toBe(15);
    expect(d.f).toEqual(new PyFloat(100000));
    expect(d.g).toEqual(new PyFloat(Infinity));
    expect(d.h).toBe(12345678901234567890n);
    expect(d.i).toBe('2001-01-01');
    expect(dumpYaml({ a: d.a, f: d.f, h: d.h })).toBe(
      'a: 1.0\nf: 100000.0\nh: 12345678901234567890\n',
    );
  });

  it('empty file is {}', () => {
    expect(parseYamlFile('', 'x').data).toEqual({});
    expect(parseYamlFile('# only a comment\n', 'x').data).toEqual({});
  });

  it('reports syntax errors with position', () => {
    try {
      parseYamlFile('a: 1\nb: [1, 2\nc: 3\n', 'bad.dvc');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DvcFileError);
      expect((e as DvcFileError).line).toBeGreaterThanOrEqual(2);
      expect((e as DvcFileError).file).toBe('bad.dvc');
    }
  });

  it('rejects duplicate keys', () => {
    expect(() => parseYamlFile('a: 1\na: 2\n', 'dup.dvc')).toThrow(DvcFileError);
    try {
      parseYamlFile('a: 1\na: 2\n', 'dup.dvc');
    } catch (e) {
      expect((e as DvcFileError).line).toBe(2);
    }
  });

  it('rejects YAML bombs and deep nesting quickly', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const start = Date.now();
    expect(() => parseYamlFile(lines.join('\n'), 'bomb.yaml')).toThrow(DvcFileError);
    expect(() => parseYamlFile('['.repeat(100_000), 'deep.yaml')).toThrow(DvcFileError);
    let nested = '';
    for (let i = 0; i < 1500; i++) nested += `${' '.repeat(i)}k:\n`;
    expect(() => parseYamlFile(nested, 'deep2.yaml')).toThrow(DvcFileError);
    expect(Date.now() - start).toBeLessThan(5000);
  });
});

describe('validateDvcFile', () => {
  it('coerces hashes', () => {
    const { doc, data } = parseYamlFile(
      'md5: 123456\nouts:\n- md5: ABCDEF0123\n  etag: AbC123\n  path: foo\n- md5: ""\n  path: bar\n',
      'x.dvc',
    );
    const v = validateDvcFile(data, 'x.dvc', doc);
    expect(v.md5).toBe('123456');
    expect(v.outs?.[0]?.md5).toBe('abcdef0123');
    expect(v.outs?.[0]?.etag).toBe('AbC123');
    expect(v.outs?.[1]?.md5).toBeNull();
  });

  it('points at the offending key', () => {
    const text = 'outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  path: foo\n  metric: false\n';
    const { doc, data } = parseYamlFile(text, 'x.dvc');
    try {
      validateDvcFile(data, 'x.dvc', doc);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DvcFileError);
      const err = e as DvcFileError;
      expect(err.message).toContain("extra keys not allowed @ data['outs'][0]['metric']");
      expect([err.line, err.column]).toEqual([4, 3]);
    }
    expect(() => validateDvcFile(parseYamlFile('cmd: echo\n', 'y.dvc').data, 'y.dvc')).toThrow(
      /extra keys/,
    );
    // voluptuous writes each key of the path with repr(), as real DVC prints it.
    const quoted = parseYamlFile('outs:\n- path: x\n  "it\'s\\xa0": 1\n', 'q.dvc').data;
    expect(() => validateDvcFile(quoted, 'q.dvc')).toThrow(
      `extra keys not allowed @ data['outs'][0]["it's\\xa0"]`,
    );
    expect(() =>
      validateDvcFile(parseYamlFile('cmd: echo\n', 'y.dvc').data, 'y.dvc', undefined, {
        lenient: true,
      }),
    ).not.toThrow();
    expect(() =>
      validateDvcFile(parseYamlFile('outs:\n- md5: ab\n  path: x\n', 'z.dvc').data, 'z.dvc'),
    ).toThrow(/at least 3/);
    expect(() =>
      validateDvcFile(parseYamlFile('outs:\n- md5: abc\n', 'z.dvc').data, 'z.dvc'),
    ).toThrow(/required key/);
  });
});
