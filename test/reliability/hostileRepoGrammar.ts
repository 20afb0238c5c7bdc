import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { md5, putDirObject } from './hostileHelpers.js';
import {
  BYSTANDERS,
  EDITED_FILES,
  HOSTILE_CONTENT,
  HOSTILE_DIR_MD5,
  HOSTILE_MD5,
  MISSING_MD5,
  NEW_FILES,
  writeAll,
  type Sandbox,
} from './hostileRepoSandbox.js';

/**
 * The grammar of the hostile-repository suite: hostile paths, the metafiles that carry them,
 * the user's unsaved work around them, and the command run on the result.
 *
 * Placeholders: {REPO} and {OUTSIDE} are the case's absolute folders, {OBJ} the relative path
 * of a cache object. No path climbs above the sandbox: at most one leading `..`, resolved from
 * the repo root or from `sub/` (see hostileRepoSandbox.ts).
 */
export const HOSTILE_PATHS: readonly string[] = [
  // the workspace itself, spelled many ways
  '.',
  './',
  '',
  'sub/..',
  'sub/../',
  './sub/..',
  'rootlink',
  '{REPO}',
  // out of the workspace
  '..',
  '../outside',
  '../outside/victim.txt',
  '../outside/new.txt',
  '{OUTSIDE}',
  '{OUTSIDE}/victim.txt',
  'link',
  'link/',
  'link/victim.txt',
  'link/sub',
  'link/new.txt',
  // git's and Sluice's own folders
  '.git',
  '.git/',
  '.git/config',
  '.git/HEAD',
  '.git/hooks/post-checkout',
  './.git',
  'sub/../.git',
  'rootlink/.git',
  '{REPO}/.git',
  'gitlink',
  'gitlink/config',
  '.GIT',
  '.Git/config',
  '.dvc',
  '.dvc/config',
  '.dvc/cache',
  '.dvc/cache/files/md5/{OBJ}',
  '.DVC',
  // odd but legal names
  'caf\u00e9.txt',
  'cafe\u0301.txt',
  'a'.repeat(300),
  `sub/${'b'.repeat(300)}`,
  'new\nline.txt',
  'back\\slash.txt',
  '..\\outside\\victim.txt',
  'sub//x.txt',
  'sub/./x.txt',
  // names that collide with files the repository already has
  '.gitignore',
  'dvc.yaml',
  'dvc.lock',
  'model.bin.dvc',
  'README.md',
  'rootlink/model.bin',
  '{REPO}/model.bin',
  'data',
  'data/a.txt',
  'sub',
];

/** Where the hostile path is written. */
export const CARRIERS = [
  'none', // only on the command line
  'dvc', // h.dvc: outs: - path: P
  'dvc-in-sub', // sub/h.dvc: the same, relative to sub/
  'lock-out', // dvc.yaml + dvc.lock stage h with outs: [P]
  'lock-dep', // dvc.yaml + dvc.lock stage h with deps: [P]
  'dir-entry', // data.dvc names a .dir listing with relpath P
  'import-out', // imported.dvc (an import) with outs: - path: P
] as const;
export type Carrier = (typeof CARRIERS)[number];

/** What the output's md5 names: a file object, a folder's listing, or nothing in any store. */
export const OBJECTS = ['file', 'dir', 'missing'] as const;
export type ObjectKind = (typeof OBJECTS)[number];

export const TARGETS = ['none', 'path', 'metafile'] as const;
export type Target = (typeof TARGETS)[number];

export const COMMANDS = [
  'add',
  'checkout',
  'checkout -f',
  'pull',
  'fetch',
  'commit -f',
  'repro',
  'remove',
  'remove --outs',
  'move',
  'gc -w -f',
  'import',
  'update',
  'status',
  'ui',
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface HostileCase {
  command: CommandName;
  path: string;
  carrier: Carrier;
  object: ObjectKind;
  target: Target;
  /** Untracked files of the user's (notes.txt, sub/notes.txt). */
  newFiles: boolean;
  /** Unsaved edits of tracked files (model.bin, data/a.txt). */
  editTracked: boolean;
  /** The carrier is the repository's only metafile (no other output to overlap with). */
  alone: boolean;
  /** The repository has no .dvcignore (it is optional; users delete it). */
  noDvcignore: boolean;
  /** Run the command a second time (a first run may leave a state the second trips on). */
  twice: boolean;
}

const pathArb = fc.constantFrom(...HOSTILE_PATHS);

/** The cases of one command (constrained to what that command takes). */
export function caseArb(command: CommandName): fc.Arbitrary<HostileCase> {
  const carriers: readonly Carrier[] =
    command === 'update'
      ? ['import-out']
      : command === 'import'
        ? ['none']
        : command === 'add'
          ? ['none', 'dvc', 'lock-out', 'dir-entry']
          : CARRIERS;
  const targets: readonly Target[] =
    command === 'add' || command === 'import' || command === 'move'
      ? ['path', 'metafile'] // add: P; import: -o P / path P in the source; move: dst / src
      : command === 'remove' || command === 'remove --outs'
        ? ['metafile', 'path']
        : command === 'gc -w -f' || command === 'update' || command === 'ui'
          ? ['none']
          : TARGETS;
  return fc.record({
    command: fc.constant(command),
    path: pathArb,
    carrier: fc.constantFrom(...carriers),
    object: fc.constantFrom(...OBJECTS),
    target: fc.constantFrom(...targets),
    newFiles: fc.boolean(),
    editTracked: fc.boolean(),
    alone: fc.boolean(),
    noDvcignore: fc.boolean(),
    twice: command === 'ui' ? fc.constant(false) : fc.boolean(),
  });
}

/** The hostile path with the case's folders in place of the placeholders. */
export function concretePath(sb: Sandbox, path: string): string {
  const obj = `${HOSTILE_MD5.slice(0, 2)}/${HOSTILE_MD5.slice(2)}`;
  return path
    .replaceAll('{REPO}', sb.repo)
    .replaceAll('{OUTSIDE}', sb.outside)
    .replaceAll('{OBJ}', obj);
}

function objectFields(kind: ObjectKind): Record<string, unknown> {
  if (kind === 'file') return { md5: HOSTILE_MD5, size: HOSTILE_CONTENT.length, hash: 'md5' };
  if (kind === 'dir') {
    return { md5: HOSTILE_DIR_MD5, size: HOSTILE_CONTENT.length, nfiles: 1, hash: 'md5' };
  }
  return { md5: MISSING_MD5, size: 7, hash: 'md5' };
}

const dump = (doc: unknown): string => yaml.dump(doc, { lineWidth: -1, noRefs: true });

/** The stage name a target names for the lock carriers. */
export const HOSTILE_STAGE = 'h';

/** The metafile the case's `metafile` target names. */
export function metafileTarget(c: HostileCase): string {
  switch (c.carrier) {
    case 'dvc':
      return 'h.dvc';
    case 'dvc-in-sub':
      return 'sub/h.dvc';
    case 'lock-out':
    case 'lock-dep':
      return `dvc.yaml:${HOSTILE_STAGE}`;
    case 'dir-entry':
      return 'data.dvc';
    case 'import-out':
      return 'imported.dvc';
    case 'none':
      return 'model.bin.dvc';
  }
}

/**
 * Writes the case's hostile state into a fresh sandbox: the carrier metafile, the objects
 * it names, and the user's unsaved work. Returns the repo-relative files whose bytes are
 * the user's unsaved work.
 */
export function applyCase(sb: Sandbox, c: HostileCase): { unsaved: string[] } {
  const p = concretePath(sb, c.path);
  const r = sb.repo;
  const out = { path: p, ...objectFields(c.object) };
  switch (c.carrier) {
    case 'none':
      break;
    case 'dvc':
      writeFileSync(join(r, 'h.dvc'), dump({ outs: [out] }));
      break;
    case 'dvc-in-sub':
      writeFileSync(join(r, 'sub', 'h.dvc'), dump({ outs: [out] }));
      break;
    case 'lock-out':
    case 'lock-dep': {
      const pipeline = yaml.load(readFileSync(join(r, 'dvc.yaml'), 'utf8')) as {
        stages: Record<string, unknown>;
      };
      const lock = yaml.load(readFileSync(join(r, 'dvc.lock'), 'utf8')) as {
        stages: Record<string, unknown>;
      };
      const cmd = 'echo hostile-stage';
      if (c.carrier === 'lock-out') {
        pipeline.stages[HOSTILE_STAGE] = { cmd, outs: [p] };
        lock.stages[HOSTILE_STAGE] = { cmd, outs: [out] };
      } else {
        pipeline.stages[HOSTILE_STAGE] = { cmd, deps: [p], outs: ['h-out.txt'] };
        lock.stages[HOSTILE_STAGE] = {
          cmd,
          deps: [out],
          outs: [{ path: 'h-out.txt', md5: MISSING_MD5, size: 7, hash: 'md5' }],
        };
      }
      writeFileSync(join(r, 'dvc.yaml'), dump(pipeline));
      writeFileSync(join(r, 'dvc.lock'), dump(lock));
      break;
    }
    case 'dir-entry': {
      const entries = [
        { md5: md5('a\n'), relpath: 'a.txt' },
        { md5: c.object === 'missing' ? MISSING_MD5 : HOSTILE_MD5, relpath: p },
        { md5: md5('b\n'), relpath: 'sub/b.txt' },
      ];
      const listing = JSON.stringify(entries);
      for (const root of [
        join(r, '.dvc', 'cache', 'files', 'md5'),
        join(sb.remote, 'files', 'md5'),
      ]) {
        putDirObject(root, listing);
      }
      const doc = {
        outs: [
          {
            md5: `${md5(listing)}.dir`,
            size: 4 + HOSTILE_CONTENT.length,
            nfiles: 3,
            hash: 'md5',
            path: 'data',
          },
        ],
      };
      writeFileSync(join(r, 'data.dvc'), dump(doc));
      break;
    }
    case 'import-out': {
      const doc = yaml.load(readFileSync(join(r, 'imported.dvc'), 'utf8')) as {
        outs: Array<Record<string, unknown>>;
      };
      const first = doc.outs[0] ?? {};
      doc.outs = [{ ...first, path: p }];
      writeFileSync(join(r, 'imported.dvc'), dump(doc));
      break;
    }
  }
  if (c.alone) {
    const keep = c.carrier === 'none' ? '' : metafileTarget(c).replace(/:.*$/, '');
    for (const f of ['data.dvc', 'model.bin.dvc', 'moveme.bin.dvc', 'imported.dvc', 'dvc.yaml']) {
      if (f !== keep) rmSync(join(r, f), { force: true });
    }
    if (keep !== 'dvc.yaml') rmSync(join(r, 'dvc.lock'), { force: true });
    else {
      for (const f of ['dvc.yaml', 'dvc.lock']) {
        const doc = yaml.load(readFileSync(join(r, f), 'utf8')) as {
          stages: Record<string, unknown>;
        };
        delete doc.stages.ok;
        writeFileSync(join(r, f), dump(doc));
      }
    }
  }
  if (c.noDvcignore) rmSync(join(r, '.dvcignore'), { force: true });
  const unsaved: string[] = [];
  if (c.newFiles) {
    writeAll(r, NEW_FILES);
    unsaved.push(...Object.keys(NEW_FILES));
  }
  if (c.editTracked) {
    for (const [path, content] of Object.entries(EDITED_FILES)) {
      writeFileSync(join(r, path), content); // cache links may be read-only: replace, not edit
    }
    unsaved.push(...Object.keys(EDITED_FILES));
  }
  return { unsaved };
}

/** The command line of a case (`ui` is run differently, see the test). */
export function commandArgs(sb: Sandbox, c: HostileCase): string[] {
  const p = concretePath(sb, c.path);
  const targets = c.target === 'none' ? [] : c.target === 'path' ? [p] : [metafileTarget(c)];
  switch (c.command) {
    case 'add':
      // `add P`, or `add <a file outside> -o P` (copy it in, leave the original be)
      return c.target === 'path'
        ? ['add', p]
        : ['add', join(sb.outside, 'sub', 'keep.txt'), '-o', p];
    case 'checkout':
      return ['checkout', ...targets];
    case 'checkout -f':
      return ['checkout', '-f', ...targets];
    case 'pull':
      return ['pull', ...targets];
    case 'fetch':
      return ['fetch', ...targets];
    case 'commit -f':
      return ['commit', '-f', ...targets];
    case 'repro':
      return [
        'repro',
        ...targets.map((t) => (t === `dvc.yaml:${HOSTILE_STAGE}` ? HOSTILE_STAGE : t)),
      ];
    case 'remove':
      return ['remove', ...targets];
    case 'remove --outs':
      return ['remove', '--outs', ...targets];
    case 'move':
      return c.target === 'path' ? ['move', 'moveme.bin', p] : ['move', p, 'moved.bin'];
    case 'gc -w -f':
      return ['gc', '-w', '-f'];
    case 'import':
      return c.target === 'path'
        ? ['import', sb.src, 'srcdata', '-o', p]
        : ['import', sb.src, p, '-o', 'imported2'];
    case 'update':
      return ['update', 'imported.dvc'];
    case 'status':
      return ['status', ...targets];
    case 'ui':
      return ['ui'];
  }
}

/** The command may discard unsaved work: it was told to (-f) or deletes outputs by design. */
export function mayDiscardUnsaved(c: HostileCase): boolean {
  return c.command === 'checkout -f' || c.command === 'remove --outs';
}

/**
 * Repo-relative paths the case names on purpose (a hostile path that collides with a file or
 * folder of the repository): `-f` or `remove --outs` may replace what is at or below them.
 * Never the workspace root, nor a folder holding the very metafile that names it: replacing
 * those is destroying the workspace, whatever the flags.
 */
export function namedOnPurpose(c: HostileCase): Set<string> {
  const base = c.carrier === 'dvc-in-sub' ? 'sub' : c.carrier === 'dir-entry' ? 'data' : '.';
  const metafile = c.carrier === 'none' || c.carrier === 'dir-entry' ? '' : metafileTarget(c);
  const rel = c.path.replace(/^\{REPO\}\//, '').replace(/^rootlink\//, '');
  const named = new Set<string>();
  if (rel.includes('{')) return named;
  const n = posix.normalize(posix.join(base, rel)).replace(/\/+$/, '');
  const holdsMetafile = metafile !== '' && metafile.startsWith(`${n}/`);
  if (n !== '.' && n !== '' && !n.startsWith('..') && !holdsMetafile) named.add(n);
  return named;
}

export const WATCHED_BYSTANDERS = Object.keys(BYSTANDERS);

/** A short description of a case, to replay it by hand. */
export function describeCase(c: HostileCase): string {
  const fields = [
    `command=${JSON.stringify(c.command)}`,
    `path=${JSON.stringify(c.path.length > 40 ? `${c.path.slice(0, 12)}…(${c.path.length} chars)` : c.path)}`,
    `carrier=${c.carrier}`,
    `object=${c.object}`,
    `target=${c.target}`,
  ];
  if (c.newFiles) fields.push('newFiles');
  if (c.editTracked) fields.push('editTracked');
  if (c.alone) fields.push('alone');
  if (c.noDvcignore) fields.push('noDvcignore');
  if (c.twice) fields.push('twice');
  return fields.join(' ');
}
