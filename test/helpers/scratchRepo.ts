import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repo } from '../../src/core/6-repo/repo.js';

/**
 * A new repository without git (`core.no_scm`) in a temporary folder, opened: what a unit test of
 * the core needs. The caller removes `dir`.
 */
export async function openScratchRepo(prefix: string): Promise<{ dir: string; repo: Repo }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, '.dvc'));
  writeFileSync(join(dir, '.dvc', 'config'), '[core]\n    no_scm = true\n');
  return { dir, repo: await Repo.open(dir) };
}
