import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo } from '../repo/repo.js';
import type { StageState } from './repro.js';

/**
 * The states of a running repro, in `.dvc/tmp/sluice/repro.json`, so `sluice ui` can show
 * stages turning running / done / failed while it runs. Best effort: never fails a repro.
 */
export class ReproStateFile {
  private readonly path: string;
  private readonly states: Record<string, StageState> = {};
  private readonly startedAt = new Date().toISOString();

  constructor(repo: Repo) {
    this.path = join(repo.tmpDir, 'sluice', 'repro.json');
  }

  update(address: string, state: StageState): void {
    this.states[address] = state;
    this.write(true);
  }

  finish(): void {
    this.write(false);
  }

  private write(running: boolean): void {
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      const body = JSON.stringify({
        running,
        pid: process.pid,
        startedAt: this.startedAt,
        updatedAt: new Date().toISOString(),
        stages: this.states,
      });
      const temp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temp, body);
      // rename is atomic, so a reader never sees half a file
      renameSync(temp, this.path);
    } catch {
      // live state is a convenience
    }
  }
}
