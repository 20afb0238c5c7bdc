import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { errnoCode } from '../1-base/errors.js';
import type { GuardedWorkspace } from '../5-workspace/guardedWorkspace.js';

/** `/name` with gitignore's special characters escaped, as DVC writes it. */
export function ignoreEntryFor(repoRelPath: string): string {
  const name = posix.basename(repoRelPath);
  return '/' + name.replace(/([[\]!*#?\\])/g, '\\$1');
}

/** The repo-relative path of the `.gitignore` beside `repoRelPath`. */
function gitignorePathFor(repoRelPath: string): string {
  const dir = posix.dirname(repoRelPath);
  return dir === '.' ? '.gitignore' : `${dir}/.gitignore`;
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
export function addIgnoreEntry(ws: GuardedWorkspace, repoRelPath: string): string | undefined {
  const file = gitignorePathFor(repoRelPath);
  const entry = ignoreEntryFor(repoRelPath);
  const text = readLines(ws.resolve(file)) ?? '';
  const lines = text.split(/\r?\n/);
  if (lines.includes(entry)) return undefined;
  const prefix = text.length > 0 && !text.endsWith('\n') ? text + '\n' : text;
  ws.writeFileSync(file, `${prefix}${entry}\n`);
  return file;
}

/** Removes the entry for `repoRelPath`; deletes the `.gitignore` once it is empty. */
export function removeIgnoreEntry(ws: GuardedWorkspace, repoRelPath: string): string | undefined {
  const file = gitignorePathFor(repoRelPath);
  const text = readLines(ws.resolve(file));
  if (text === undefined) return undefined;
  const entry = ignoreEntryFor(repoRelPath);
  const lines = text.split('\n');
  const kept = lines.filter((line) => line.replace(/\r$/, '') !== entry);
  if (kept.length === lines.length) return undefined;
  const rest = kept.join('\n');
  if (rest.trim().length === 0) {
    ws.remove(file);
  } else {
    ws.writeFileSync(file, rest);
  }
  return file;
}
