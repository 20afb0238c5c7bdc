import { describe, expect, it } from 'vitest';
import {
  parseConfigObj,
  quoteConfigValue,
  serializeConfigObj,
  type ConfigData,
} from '../../../../src/core/6-repo/configobj.js';
import { SluiceError } from '../../../../src/core/1-base/errors.js';

describe('parseConfigObj', () => {
  it('reads the documented example', () => {
    const text = [
      '# comment',
      '[core]',
      '    remote = myremote',
      '    Autostage = true  # inline',
      '[\'remote "myremote"\']',
      '    url = ../../dvc-storage',
      '[cache]',
      '    type = "reflink,copy"',
      '[remote "Other"]',
      '    url = s3://b/p',
      '',
    ].join('\n');
    expect(parseConfigObj(text, 'config')).toEqual({
      core: { remote: 'myremote', autostage: 'true' },
      'remote "myremote"': { url: '../../dvc-storage' },
      cache: { type: 'reflink,copy' },
      'remote "other"': { url: 's3://b/p' },
    });
  });

  it('reads lists, empty lists and quoted items', () => {
    const data = parseConfigObj(
      '[cache]\ntype = copy, symlink\none = a,\nnone = ,\nq = \'a,b\', "c"\nempty = ""\n',
      'f',
    );
    expect(data.cache).toEqual({
      type: ['copy', 'symlink'],
      one: ['a'],
      none: [],
      q: ['a,b', 'c'],
      empty: '',
    });
  });

  it('reports the file and line of a bad line', () => {
    const run = (): ConfigData =>
      parseConfigObj('[core]\n    foo = 1\n  bad line\n', '/r/.dvc/config');
    expect(run).toThrow(SluiceError);
    expect(run).toThrow(
      "configuration error - config file error: Invalid line ('  bad line') (matched as neither section nor keyword) at line 3 of '/r/.dvc/config'.",
    );
    expect(() => parseConfigObj('[a]\nx = 1\n[a]\n', 'f')).toThrow(
      /Duplicate section name at line 3/,
    );
    expect(() => parseConfigObj('[a]\nx = 1\nx = 2\n', 'f')).toThrow(/Duplicate keyword name/);
    expect(() => parseConfigObj('x = 1\n', 'f')).toThrow("extra keys not allowed @ data['x']");
  });
});

describe('serializeConfigObj', () => {
  it('writes what DVC writes', () => {
    const data: ConfigData = {
      'remote "s3"': { url: 's3://b/p' },
      core: { remote: 's3' },
      state: {},
      cache: { type: 'reflink,copy' },
      'db "x"': {},
    };
    expect(serializeConfigObj(data)).toBe(
      '[core]\n    remote = s3\n[cache]\n    type = "reflink,copy"\n[\'remote "s3"\']\n    url = s3://b/p\n[\'db "x"\']\n',
    );
    expect(serializeConfigObj({})).toBe('\n');
  });

  it('quotes like configobj', () => {
    expect(quoteConfigValue('')).toBe('""');
    expect(quoteConfigValue(' x')).toBe('" x"');
    expect(quoteConfigValue('a#b')).toBe('"a#b"');
    expect(quoteConfigValue('it\'s "x"')).toBe("'''it's \"x\"'''");
    expect(quoteConfigValue(['a'])).toBe('a,');
    expect(quoteConfigValue([])).toBe(',');
    expect(() => quoteConfigValue(['it\'s "x"'])).toThrow(SluiceError);
  });
});

// ---------------------------------------------------------------------------------------------
