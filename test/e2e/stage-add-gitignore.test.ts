import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, makeRepo, read, sluice, sluiceOk } from '../helpers/sandbox.js';

afterAll(cleanupSandboxes);

describe('stage add and .gitignore', () => {
  it('leaves the entry of an output whose folder is not there for the run, as DVC does', () => {
    const repo = makeRepo('sluice');
    const added = sluice(repo, 'stage', 'add', '-n', 'prep', '-o', 'out/clean.csv', 'sh make.sh');
    expect(added.code).toBe(0);
    expect(added.stderr).toContain(
      `Could not create .gitignore entry in ${join(repo, 'out', '.gitignore')}.`,
    );
    expect(existsSync(join(repo, 'out'))).toBe(false);
    sluiceOk(repo, 'stage', 'add', '-n', 'top', '-o', 'top.csv', 'sh top.sh');
    expect(read(repo, '.gitignore')).toBe('/top.csv\n');
  });
});
