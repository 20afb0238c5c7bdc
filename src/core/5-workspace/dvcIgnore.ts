import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { NO_OBSERVER, type ReadObserver } from '../2-fs/readObserver.js';

export const ALWAYS_IGNORED = new Set(['.git', '.hg', '.dvc']);

/**
 * A sub-folder holding an entry of this name (a folder, or anything that exists) is a nested DVC
 * repository, often a git submodule: every walk of the project leaves it out, as DVC does.
 */
export const NESTED_REPO_MARKER = '.dvc';

/**
 * `.dvcignore` rules, applied per folder like `.gitignore`. Each folder's rules are read once,
 * the first time that folder is walked.
 */
export class DvcIgnore {
  private readonly rules = new Map<string, Ignore | null>();

  constructor(
    private readonly root: string,
    private readonly observer: ReadObserver = NO_OBSERVER,
  ) {}

  private rulesFor(relDir: string): Ignore | null {
    let rules = this.rules.get(relDir);
    if (rules !== undefined) return rules;
    rules = null;
    const file = join(this.root, relDir, '.dvcignore');
    this.observer.onRead(file);
    try {
      const text = readFileSync(file, 'utf8');
      // The .dvcignore `init` writes holds only comments: no rules to apply.
      if (text.split('\n').some((line) => line.trim() !== '' && !line.startsWith('#'))) {
        rules = ignore().add(text);
      }
    } catch {
      // no .dvcignore in this folder
    }
    this.rules.set(relDir, rules);
    return rules;
  }

  /**
   * Is `name` (a file or folder directly inside `relDir`, repo-relative POSIX path, '' for the
   * root) ignored? Rules of every ancestor folder apply.
   */
  isIgnored(relDir: string, name: string, isDir: boolean): boolean {
    if (isDir && ALWAYS_IGNORED.has(name)) return true;
    const relPath = relDir === '' ? name : `${relDir}/${name}`;
    let dir = relDir;
    for (;;) {
      const rules = this.rulesFor(dir);
      if (rules !== null) {
        const sub = dir === '' ? relPath : relPath.slice(dir.length + 1);
        if (rules.ignores(isDir ? `${sub}/` : sub)) return true;
      }
      if (dir === '') return false;
      const parent = posix.dirname(dir);
      dir = parent === '.' ? '' : parent;
    }
  }

  /** Do any `.dvcignore` rules apply inside `relDir` (its own or an ancestor's)? */
  hasRulesFor(relDir: string): boolean {
    let dir = relDir;
    for (;;) {
      if (this.rulesFor(dir) !== null) return true;
      if (dir === '') return false;
      const parent = posix.dirname(dir);
      dir = parent === '.' ? '' : parent;
    }
  }

  /** Is any folder from the root down to `relPath` (inclusive) ignored? */
  isPathIgnored(relPath: string, isDir: boolean): boolean {
    const parts = relPath.split('/');
    let dir = '';
    for (let i = 0; i < parts.length; i += 1) {
      const name = parts[i];
      const last = i === parts.length - 1;
      if (this.isIgnored(dir, name, last ? isDir : true)) return true;
      dir = dir === '' ? name : `${dir}/${name}`;
    }
    return false;
  }
}
