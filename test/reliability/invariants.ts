import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

/** What the reliability tests check after a command was killed, starved of space or raced. */

export function md5(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}

export interface ObjectAudit {
  /** Objects under a final name (`ab/cdef…` or `ab/cdef….dir`). */
  objects: string[];
  /** Final names whose bytes do not hash to the name: a partial or corrupt object. */
  bad: string[];
  /** Anything else (temporary files of a write in progress). */
  other: string[];
}

const FINAL_NAME = /^([0-9a-f]{30})(\.dir)?$/;

/**
 * Hashes every object of a content-addressed tree (`<cache>/files/md5` or `<remote>/files/md5`):
 * each file under a final name must hold exactly the bytes its name promises.
 */
export function auditObjects(filesRoot: string): ObjectAudit {
  const audit: ObjectAudit = { objects: [], bad: [], other: [] };
  if (!existsSync(filesRoot)) return audit;
  for (const prefix of readdirSync(filesRoot).sort()) {
    const dir = join(filesRoot, prefix);
    if (!statSync(dir).isDirectory()) {
      audit.other.push(prefix);
      continue;
    }
    for (const name of readdirSync(dir).sort()) {
      const rel = `${prefix}/${name}`;
      const match = FINAL_NAME.exec(name);
      if (!/^[0-9a-f]{2}$/.test(prefix) || match === null) {
        audit.other.push(rel);
        continue;
      }
      const oid = `${prefix}${match[1] ?? ''}${match[2] ?? ''}`;
      audit.objects.push(oid);
      const data = readFileSync(join(dir, name));
      const actual = md5(data) + (match[2] ?? '');
      if (actual !== oid) audit.bad.push(rel);
    }
  }
  return audit;
}

/** Every `.dvc`, `dvc.yaml` and `dvc.lock` below `root` (outside .git and .dvc). */
export function metafiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (path === '.git' || path === '.dvc') continue;
      const stats = statSync(join(root, path), { throwIfNoEntry: false });
      if (stats === undefined) continue;
      if (stats.isDirectory()) walk(path);
      else if (name.endsWith('.dvc') || name === 'dvc.yaml' || name === 'dvc.lock') out.push(path);
    }
  };
  walk('');
  return out.sort();
}

/** Metafiles that do not parse as a YAML mapping (a half-written file shows up here). */
export function unparsableMetafiles(root: string): string[] {
  const bad: string[] = [];
  for (const path of metafiles(root)) {
    try {
      const doc = yaml.load(readFileSync(join(root, path), 'utf8'));
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) bad.push(path);
    } catch {
      bad.push(`${path} (YAML error)`);
    }
  }
  return bad;
}

/** Output paths dvc.yaml marks `cache: false` (recorded in dvc.lock, never in the cache). */
function uncachedOuts(root: string, dvcYaml: string): Set<string> {
  const paths = new Set<string>();
  const doc = yaml.load(readFileSync(join(root, dvcYaml), 'utf8')) as {
    stages?: Record<string, Record<string, unknown>>;
  };
  const dir = dvcYaml.includes('/') ? dvcYaml.slice(0, dvcYaml.lastIndexOf('/') + 1) : '';
  for (const stage of Object.values(doc.stages ?? {})) {
    for (const key of ['outs', 'metrics', 'plots']) {
      const list = stage[key];
      if (!Array.isArray(list)) continue;
      for (const item of list as unknown[]) {
        if (item === null || typeof item !== 'object') continue;
        for (const [path, flags] of Object.entries(item)) {
          if ((flags as { cache?: unknown } | null)?.cache === false) paths.add(dir + path);
        }
      }
    }
  }
  return paths;
}

interface OutEntry {
  path?: unknown;
  md5?: unknown;
}

/** The object ids the outputs in `.dvc` files and dvc.lock name (not deps, not uncached outs). */
export function referencedOids(root: string): string[] {
  const oids = new Set<string>();
  const take = (outs: unknown, skip: Set<string>, dir: string): void => {
    if (!Array.isArray(outs)) return;
    for (const out of outs as OutEntry[]) {
      if (typeof out.md5 !== 'string' || !/^[0-9a-f]{32}(\.dir)?$/.test(out.md5)) continue;
      if (typeof out.path === 'string' && skip.has(dir + out.path)) continue;
      oids.add(out.md5);
    }
  };
  for (const path of metafiles(root)) {
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    const doc = yaml.load(readFileSync(join(root, path), 'utf8')) as Record<string, unknown>;
    if (path.endsWith('.dvc')) {
      take(doc.outs, new Set(), dir);
    } else if (path.endsWith('dvc.lock')) {
      const skip = uncachedOuts(root, `${dir}dvc.yaml`);
      const stages = (doc.stages ?? {}) as Record<string, { outs?: unknown }>;
      for (const stage of Object.values(stages)) take(stage.outs, skip, dir);
    }
  }
  return [...oids].sort();
}

/** The bytes of every file at or below the given repo-relative paths. */
export function snapshotFiles(root: string, rels: string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    const stats = statSync(abs, { throwIfNoEntry: false });
    if (stats === undefined) return;
    if (stats.isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(`${rel}/${name}`);
    } else {
      out.set(rel, readFileSync(abs));
    }
  };
  for (const rel of rels) walk(rel);
  return out;
}

export interface ContentCheck {
  /** Files whose bytes are none of the allowed versions. */
  wrong: string[];
  /** Files that are missing. */
  missing: string[];
}

/**
 * Compares the workspace with the versions a file may hold: after a kill a file may still be
 * the old version or already the new one, never anything in between. A file is allowed to be
 * missing only if some version has no such file.
 */
export function checkContents(root: string, ...versions: Map<string, Buffer>[]): ContentCheck {
  const result: ContentCheck = { wrong: [], missing: [] };
  const paths = new Set<string>();
  for (const version of versions) for (const path of version.keys()) paths.add(path);
  for (const path of [...paths].sort()) {
    let actual: Buffer;
    try {
      actual = readFileSync(join(root, path));
    } catch {
      if (versions.every((version) => version.has(path))) result.missing.push(path);
      continue;
    }
    if (!versions.some((version) => version.get(path)?.equals(actual) === true)) {
      result.wrong.push(path);
    }
  }
  return result;
}

/**
 * The objects `oids` need in a store: themselves and, for a `.dir` object, every file it lists.
 * A `.dir` object missing from the store leaves its entries unknown; it is reported as missing.
 */
export function missingObjects(filesRoot: string, oids: string[]): string[] {
  const missing = new Set<string>();
  const pathOf = (oid: string): string => join(filesRoot, oid.slice(0, 2), oid.slice(2));
  for (const oid of oids) {
    if (!existsSync(pathOf(oid))) {
      missing.add(oid);
      continue;
    }
    if (!oid.endsWith('.dir')) continue;
    const entries = JSON.parse(readFileSync(pathOf(oid), 'utf8')) as { md5: string }[];
    for (const entry of entries) if (!existsSync(pathOf(entry.md5))) missing.add(entry.md5);
  }
  return [...missing].sort();
}

/** Every file below `dir`, as sorted relative paths (none when it does not exist). */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (statSync(join(dir, path), { throwIfNoEntry: false })?.isDirectory() === true) walk(path);
      else out.push(path);
    }
  };
  walk('');
  return out.sort();
}

/**
 * Sluice's temporary files (`.NAME.OWNER.TAG.tmp`, and what older versions wrote: `.tmp-PID-…`,
 * `….stale-PID`) and the records of the folders a command writes them into, anywhere below
 * `dir` (`.git` excepted). A stage command's own temporary names (`model.bin.tmp`) are not ours.
 */
export function sluiceTemps(dir: string): string[] {
  return listTree(dir).filter((path) => {
    if (path.startsWith('.git/')) return false;
    const name = path.slice(path.lastIndexOf('/') + 1);
    return (
      (name.startsWith('.') && name.endsWith('.tmp')) ||
      name.startsWith('.tmp-') ||
      /\.stale-\d+$/.test(name) ||
      /\.dvc\/tmp\/sluice\/writing\/.*\.folders$/.test(path)
    );
  });
}
