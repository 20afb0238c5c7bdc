import { readFileSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { errnoCode } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomicWrite.js';

/** `/name` with gitignore's special characters escaped, as DVC writes it. */
export function ignoreEntryFor(repoRelPath: string): string {
  const name = posix.basename(repoRelPath);
  return '/' + name.replace(/([[\]!*#?\\])/g, '\\$1');
}

function gitignorePathFor(root: string, repoRelPath: string): string {
  const dir = posix.dirname(repoRelPath);
  return join(root, dir === '.' ? '' : dir, '.gitignore');
}

function readLines(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Appends the entry for `repoRelPath` to the `.gitignore` in its own folder, unless that exact
 * line is there already. Returns the repo-relative path of the `.gitignore` when it changed.
 */
export function addIgnoreEntry(root: string, repoRelPath: string): string | undefined {
  const file = gitignorePathFor(root, repoRelPath);
  const entry = ignoreEntryFor(repoRelPath);
  const text = readLines(file) ?? '';
  const lines = text.split(/\r?\n/);
  if (lines.includes(entry)) return undefined;
  const prefix = text.length > 0 && !text.endsWith('\n') ? text + '\n' : text;
  writeFileAtomicSync(file, `${prefix}${entry}\n`);
  return posix.relative('', posix.join(posix.dirname(repoRelPath), '.gitignore'));
}

/** Removes the entry for `repoRelPath`; deletes the `.gitignore` once it is empty. */
export function removeIgnoreEntry(root: string, repoRelPath: string): string | undefined {
  const file = gitignorePathFor(root, repoRelPath);
  const text = readLines(file);
  if (text === undefined) return undefined;
  const entry = ignoreEntryFor(repoRelPath);
  const lines = text.split('\n');
  const kept = lines.filter((line) => line.replace(/\r$/, '') !== entry);
  if (kept.length === lines.length) return undefined;
  const rest = kept.join('\n');
  if (rest.trim().length === 0) {
    rmSync(file, { force: true });
  } else {
    writeFileAtomicSync(file, rest);
  }
  return posix.relative('', posix.join(posix.dirname(repoRelPath), '.gitignore'));
}
