import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from '../2-fs/atomicWrite.js';

interface LinkEntry {
  /** For files: inode and mtime when Sluice placed it. For folders: the `.dir` hash. */
  ino?: number;
  mtimeMs?: number;
  dirHash?: string;
}

/**
 * The workspace paths Sluice itself placed (by add or checkout), as DVC's links DB keeps them. A
 * full checkout deletes those that no output claims any more, if they are still unmodified.
 */
export class LinkRecord {
  private entries: Record<string, LinkEntry> | undefined;
  private dirty = false;

  constructor(private readonly file: string) {}

  private load(): Record<string, LinkEntry> {
    if (this.entries !== undefined) return this.entries;
    try {
      this.entries = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, LinkEntry>;
    } catch {
      this.entries = {};
    }
    return this.entries;
  }

  recordFile(repoPath: string, absPath: string): void {
    const stats = statSync(absPath);
    this.load()[repoPath] = { ino: stats.ino, mtimeMs: stats.mtimeMs };
    this.dirty = true;
  }

  recordDir(repoPath: string, dirHash: string): void {
    this.load()[repoPath] = { dirHash };
    this.dirty = true;
  }

  paths(): string[] {
    return Object.keys(this.load());
  }

  get(repoPath: string): LinkEntry | undefined {
    return this.load()[repoPath];
  }

  forget(repoPath: string): void {
    const entries = this.load();
    if (repoPath in entries) {
      delete entries[repoPath];
      this.dirty = true;
    }
  }

  save(): void {
    if (!this.dirty || this.entries === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, JSON.stringify(this.entries));
    this.dirty = false;
  }
}
