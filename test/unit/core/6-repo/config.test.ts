import { describe, expect, it } from 'vitest';
import {
  configFilePaths,
  formatConfigValue,
  parseBool,
  parseConfigName,
  resolveConfigPathForRead,
  resolveConfigPathForWrite,
} from '../../../../src/core/6-repo/config/index.js';
import { SluiceError } from '../../../../src/core/1-base/errors.js';

describe('names and values', () => {
  it('parses option names like dvc config', () => {
    expect(parseConfigName('core.remote')).toEqual({ section: 'core', key: 'remote' });
    expect(parseConfigName('remote.MyRemote.URL')).toEqual({
      section: 'remote "myremote"',
      key: 'url',
    });
    expect(parseConfigName('db.x.url')).toEqual({ section: 'db "x"', key: 'url' });
    expect(() => parseConfigName('core')).toThrow(SluiceError);
    expect(() => parseConfigName('a.b.c')).toThrow(/name argument should look like/);
  });

  it('parses booleans and formats lists as Python does', () => {
    expect(parseBool('TRUE')).toBe(true);
    expect(parseBool('false')).toBe(false);
    expect(() => parseBool('yes')).toThrow(SluiceError);
    expect(formatConfigValue(['copy', "it's"])).toBe(`['copy', "it's"]`);
  });

  it('resolves paths', () => {
    expect(resolveConfigPathForWrite('/r/.dvc', '/r', '../path/to/dir')).toBe('../../path/to/dir');
    expect(resolveConfigPathForWrite('/r/.dvc', '/r/sub', '../cc')).toBe('../cc');
    expect(resolveConfigPathForWrite('/r/.dvc', '/r', '.dvc')).toBe('.');
    expect(resolveConfigPathForWrite('/r/.dvc', '/r', 's3://b/p')).toBe('s3://b/p');
    expect(resolveConfigPathForWrite('/r/.dvc', '/r', '~/x')).toBe('~/x');
    expect(resolveConfigPathForWrite('/r/.dvc', '/r', '/abs')).toBe('/abs');
    expect(resolveConfigPathForRead('/r/.dvc', '../../x')).toBe('/x');
    expect(resolveConfigPathForRead('/r/.dvc', 'gs://x')).toBe('gs://x');
  });

  it('finds the files of each level', () => {
    const env = { XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' };
    expect(configFilePaths('/r/.dvc', env)).toEqual({
      system: '/etc/xdg/dvc/config',
      global: '/xdg/dvc/config',
      repo: '/r/.dvc/config',
      local: '/r/.dvc/config.local',
    });
    const explicit = configFilePaths(null, {
      DVC_GLOBAL_CONFIG_DIR: '/g',
      DVC_SYSTEM_CONFIG_DIR: '/s',
    });
    expect(explicit).toEqual({ system: '/s/config', global: '/g/config' });
  });
});
