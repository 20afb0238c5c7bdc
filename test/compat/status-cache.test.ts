import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, dvcOk, git, makeRepo, sluiceOk, writeTree } from '../helpers/sandbox.js';

afterAll(cleanupSandboxes);

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

const FILES = { 'images/a.txt': 'a\n', 'images/b.txt': 'b\n', 'images/sub/c.txt': 'c\n' };

describe('status of a folder one of whose cache objects was deleted', () => {
  it.each(['sluice', 'dvc'] as const)(
    'agrees with dvc status --json (folder added by %s)',
    (tool) => {
      const repo = makeRepo(tool);
      writeTree(repo, FILES);
      (tool === 'sluice' ? sluiceOk : dvcOk)(repo, 'add', 'images');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', 'images');
      // Sluice has seen the folder complete in the cache before the object goes.
      expect(JSON.parse(sluiceOk(repo, 'status', '--json').stdout)).toEqual({});
      const object = md5(FILES['images/b.txt']);
      rmSync(join(repo, '.dvc', 'cache', 'files', 'md5', object.slice(0, 2), object.slice(2)));
      const expected = JSON.parse(dvcOk(repo, 'status', '--json').stdout) as unknown;
      expect(expected).toEqual({ 'images.dvc': [{ 'changed outs': { images: 'not in cache' } }] });
      expect(JSON.parse(sluiceOk(repo, 'status', '--json').stdout)).toEqual(expected);
    },
  );
});
