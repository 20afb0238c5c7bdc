import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempNameFor } from '../../2-fs/atomicWrite.js';
import type { Repo } from '../../6-repo/repo.js';
import type { StageState } from './repro.js';

/** At most this often (ms) while a repro runs; a 1,000-stage no-op must not write 2,000 times. */
const WRITE_INTERVAL = 200;

/**
 * The states of a running repro, in `.dvc/tmp/sluice/repro.json`, so `sluice ui` can show
 * stages turning running / done / failed while it runs. Best effort: never fails a repro.
 */
export class ReproStateFile {
  private readonly path: string;
  private readonly states: Record<string, StageState> = {};
  private readonly startedAt = new Date().toISOString();
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(repo: Repo) {
    this.path = join(repo.tmpDir, 'sluice', 'repro.json');
  }

  update(address: string, state: StageState): void {
    this.states[address] = state;
    const now = Date.now();
    // A stage starting to run is shown at once; other changes are batched.
    if (state === 'running' || now - this.lastWrite >= WRITE_INTERVAL) {
      this.write(true);
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.write(true);
    }, WRITE_INTERVAL).unref();
  }

  finish(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.write(false);
  }

  private write(running: boolean): void {
    this.lastWrite = Date.now();
    try {
      mkdirSync(join(this.path, '..'), { recursive: true });
      const body = JSON.stringify({
        running,
        pid: process.pid,
        startedAt: this.startedAt,
        updatedAt: new Date().toISOString(),
        stages: this.states,
      });
      const temp = tempNameFor(this.path);
      writeFileSync(temp, body);
      // rename is atomic, so a reader never sees half a file
      renameSync(temp, this.path);
    } catch {
      // live state is a convenience
    }
  }
}
