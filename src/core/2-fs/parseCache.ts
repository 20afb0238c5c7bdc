import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomicWrite.js';
import { PyFloat } from '../1-base/python.js';

const FORMAT = 1;
/** Entries kept: a repo has a handful of pipeline files; older versions of them are pruned. */
const MAX_ENTRIES = 64;

// Values JSON cannot hold are tagged with a key no YAML mapping of a metafile uses.
const TAG = '\u0000sluice';

function encode(_key: string, value: unknown): unknown {
  if (value instanceof PyFloat) return { [TAG]: 'float', v: String(value.value) };
  if (typeof value === 'number' && !Number.isFinite(value))
    return { [TAG]: 'num', v: String(value) };
  if (typeof value === 'bigint') return { [TAG]: 'big', v: value.toString() };
  return value;
}

function decode(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && TAG in value) {
    const { [TAG]: kind, v } = value as { [TAG]: string; v: string };
    if (kind === 'float') return new PyFloat(Number(v));
    if (kind === 'num') return Number(v);
    if (kind === 'big') return BigInt(v);
  }
  return value;
}

/**
 * Remembers what a YAML metafile (dvc.yaml, dvc.lock) parsed and validated to, keyed by the md5
 * of its text and the parser's name. A no-op `status` or `repro` of a large pipeline spends most
 * of its time parsing YAML with a cold JIT; reading the same result back as JSON takes a
 * millisecond. Keyed by content, so an entry can never be stale; a damaged entry is ignored.
 */
export class ParseCache {
  constructor(private readonly dir: string) {}

  get<T>(parser: string, text: string, parse: () => T): T {
    const key = createHash('md5').update(parser).update('\0').update(text).digest('hex');
    const file = join(this.dir, `${key}.json`);
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8'), decode) as { format: number; value: T };
      if (stored.format === FORMAT) return stored.value;
    } catch {
      // missing or damaged: parse again
    }
    const value = parse();
    this.store(file, value);
    return value;
  }

  private store(file: string, value: unknown): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileAtomicSync(file, JSON.stringify({ format: FORMAT, value }, encode));
      this.prune();
    } catch {
      // a read-only or full .dvc/tmp only costs speed
    }
  }

  private prune(): void {
    const names = readdirSync(this.dir).filter((name) => name.endsWith('.json'));
    if (names.length <= MAX_ENTRIES) return;
    const byAge = names
      .map((name) => ({ name, mtime: statSync(join(this.dir, name)).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime);
    for (const { name } of byAge.slice(0, names.length - MAX_ENTRIES)) {
      rmSync(join(this.dir, name), { force: true });
    }
  }
}
