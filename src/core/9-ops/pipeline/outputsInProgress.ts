import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../../2-fs/atomicWrite.js';
import type { Repo } from '../../6-repo/repo.js';

/**
 * The outputs of stages whose command has started and whose results are not recorded yet, in
 * `.dvc/tmp/sluice/outputs-in-progress.json`. What a failed or killed stage command left at those
 * paths is the stage's own half-made work, not the user's: the next repro may delete it without
 * asking, where an output edited by hand would be kept (see `Reproducer.removeOutputs`).
 */
export class OutputsInProgress {
  private readonly file: string;

  constructor(repo: Repo) {
    this.file = join(repo.tmpDir, 'sluice', 'outputs-in-progress.json');
  }

  has(path: string): boolean {
    return this.read().includes(path);
  }

  add(paths: string[]): void {
    const current = this.read();
    const next = [...new Set([...current, ...paths])];
    if (next.length !== current.length) this.write(next);
  }

  remove(paths: string[]): void {
    const current = this.read();
    const next = current.filter((p) => !paths.includes(p));
    if (next.length !== current.length) this.write(next);
  }

  private read(): string[] {
    try {
      const parsed: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }

  private write(paths: string[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(paths));
  }
}
