import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { dirname, join, parse } from 'node:path';
import { sluiceBin } from '../helpers/sandbox.js';
import { md5, putDirObject, putObject, snapshotTree } from './hostileHelpers.js';
import { auditObjects } from './invariants.js';
import { scratchDir } from './repoFixtures.js';

/**
 * The sandbox of the hostile-repository suite (hostileRepo.test.ts): one temporary folder
 * holding everything a case's commands may reach, and the checks run after each command.
 *
 *   <base>/repo      git repo + `sluice init`, tracked data, a pipeline, an import, symlinks
 *   <base>/remote    its default remote (a local folder outside the repo)
 *   <base>/outside   a sibling folder of files that no command may ever touch
 *   <base>/src       a second sluice repo, the source of `import`/`update`
 *   <base>/home      HOME, XDG_* of every command (nothing of the user's is read or written)
 *   <base>/tmp       TMPDIR (import's scratch clones)
 *
 * No hostile path reaches above <base>: at most one leading `..` from the repo root, absolute
 * paths only into <base>, and the committed symlinks lead only to <base>/outside, the repo root
 * and its .git. A case's commands run with their working directory in <base>/repo.
 */

export interface Sandbox {
  base: string;
  repo: string;
  remote: string;
  outside: string;
  src: string;
  home: string;
  tmp: string;
}

export function layout(base: string): Sandbox {
  return {
    base,
    repo: join(base, 'repo'),
    remote: join(base, 'remote'),
    outside: join(base, 'outside'),
    src: join(base, 'src'),
    home: join(base, 'home'),
    tmp: join(base, 'tmp'),
  };
}

/** Markers in files no command may show: a ui answer holding one leaked it. */
export const OUTSIDE_SECRET = 'OUTSIDE-SECRET-7f3a';
export const GIT_SECRET = 'GITCONFIG-SECRET-7f3a';

/** An object put in the cache and the remote, and one that is in neither. */
export const HOSTILE_CONTENT = 'hostile object\n';
export const HOSTILE_MD5 = md5(HOSTILE_CONTENT);
export const MISSING_MD5 = md5('an object nobody stored\n');
export const HOSTILE_DIR_LISTING = JSON.stringify([{ md5: HOSTILE_MD5, relpath: 'h1.txt' }]);
export const HOSTILE_DIR_MD5 = `${md5(HOSTILE_DIR_LISTING)}.dir`;

/** Files committed to git and never tracked by Sluice: every command must leave them be. */
export const BYSTANDERS: Record<string, string> = {
  'README.md': '# a project\n',
  'sub/code.py': 'print("hello")\n',
  'params.yaml': 'lr: 0.1\n',
};

/** A user's work not saved into Sluice: new files, and edits of tracked files. */
export const NEW_FILES: Record<string, string> = {
  'notes.txt': 'my unsaved notes\n',
  'sub/notes.txt': 'more unsaved notes\n',
};
export const EDITED_FILES: Record<string, string> = {
  'model.bin': 'model retrained, not committed\n',
  'data/a.txt': 'a edited, not committed\n',
};

export const ENV_BASE: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  LANG: 'C.UTF-8',
  NO_COLOR: '1',
  DVC_NO_ANALYTICS: '1',
  GIT_AUTHOR_NAME: 'Hostile Tests',
  GIT_AUTHOR_EMAIL: 'hostile@localhost',
  GIT_COMMITTER_NAME: 'Hostile Tests',
  GIT_COMMITTER_EMAIL: 'hostile@localhost',
  GIT_CONFIG_NOSYSTEM: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  METADATA_SERVER_DETECTION: 'none',
  GCE_METADATA_HOST: '127.0.0.1:9',
};

/** Everything a command gets: HOME, config and temporary folders inside the sandbox. */
export function sandboxEnv(sb: Sandbox): NodeJS.ProcessEnv {
  return {
    ...ENV_BASE,
    HOME: sb.home,
    XDG_CONFIG_HOME: join(sb.home, '.config'),
    XDG_CACHE_HOME: join(sb.home, '.cache'),
    XDG_DATA_HOME: join(sb.home, '.local', 'share'),
    TMPDIR: sb.tmp,
    // git never looks for a repository above the sandbox (if .git were destroyed)
    GIT_CEILING_DIRECTORIES: dirname(sb.base),
  };
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const live = new Set<number>();

/** Kills (by process group id) what this file started and is still running. */
export function killLeftovers(): void {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Runs a program in its own process group, killed (the group) after `timeoutMs`. */
export function runProgram(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, detached: true });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (pid !== undefined) live.delete(pid);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

export function runSluiceIn(sb: Sandbox, args: string[], timeoutMs?: number): Promise<Run> {
  return runProgram(process.execPath, [sluiceBin, ...args], sb.repo, sandboxEnv(sb), timeoutMs);
}

function syncRun(command: string, args: string[], cwd: string, sb: Sandbox): string {
  const r = spawnSync(command, args, { cwd, env: sandboxEnv(sb), encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} in ${cwd} failed: ${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

const sluiceSync = (sb: Sandbox, cwd: string, ...args: string[]): string =>
  syncRun(process.execPath, [sluiceBin, ...args], cwd, sb);
const gitSync = (sb: Sandbox, cwd: string, ...args: string[]): string =>
  syncRun('git', args, cwd, sb);

/** Refuses to build a sandbox where a `.git` or `.dvc` above it could be found by a command. */
function assertNoRepoAbove(dir: string): void {
  let cur = dirname(dir);
  const root = parse(cur).root;
  for (;;) {
    for (const name of ['.git', '.dvc']) {
      if (existsSync(join(cur, name))) {
        throw new Error(`refusing to build the hostile sandbox below ${cur}: it holds ${name}`);
      }
    }
    if (cur === root) return;
    cur = dirname(cur);
  }
}

/** Builds the starting state every case copies (once per test file; about 3 s). */
export function buildTemplate(): Sandbox {
  const sb = layout(scratchDir('sluice-hostile-'));
  assertNoRepoAbove(sb.base);
  for (const dir of [sb.repo, sb.remote, sb.outside, sb.src, sb.home, sb.tmp]) mkdirSync(dir);

  // the folder beside the repo: files of several modes, a .gitignore, a subfolder
  const outsideFiles: Record<string, string> = {
    'victim.txt': `${OUTSIDE_SECRET} victim\n`,
    'sub/keep.txt': `${OUTSIDE_SECRET} keep\n`,
    // entries an output through the `link` symlink would have: removing one must not edit it
    '.gitignore': 'keep-me\n/victim.txt\n/sub\n',
    'run.sh': '#!/bin/sh\necho outside\n',
  };
  writeAll(sb.outside, outsideFiles);
  chmodSync(join(sb.outside, 'victim.txt'), 0o640);
  chmodSync(join(sb.outside, 'run.sh'), 0o755);
  symlinkSync('victim.txt', join(sb.outside, 'alias.txt'));

  // the import source: a second sluice repo with a tracked folder, committed
  gitSync(sb, sb.src, 'init', '-q', '-b', 'main');
  gitSync(sb, sb.src, 'config', 'gc.auto', '0');
  sluiceSync(sb, sb.src, 'init');
  writeAll(sb.src, { 'srcdata/x.txt': 'x from src\n', 'srcdata/y.txt': 'y from src\n' });
  sluiceSync(sb, sb.src, 'add', 'srcdata');
  gitSync(sb, sb.src, 'add', '-A');
  gitSync(sb, sb.src, 'commit', '-q', '-m', 'source data');

  const r = sb.repo;
  gitSync(sb, r, 'init', '-q', '-b', 'main');
  gitSync(sb, r, 'config', 'gc.auto', '0');
  gitSync(sb, r, 'config', 'sluice-hostile.marker', GIT_SECRET);
  sluiceSync(sb, r, 'init');
  sluiceSync(sb, r, 'remote', 'add', '-d', 'store', '../remote');
  writeAll(r, {
    ...BYSTANDERS,
    'model.bin': 'model v1\n',
    'moveme.bin': 'move me\n',
    'data/a.txt': 'a\n',
    'data/sub/b.txt': 'b\n',
    'dvc.yaml':
      'stages:\n  ok:\n    cmd: echo made > ok.txt\n    deps:\n    - sub/code.py\n    outs:\n    - ok.txt\n',
  });
  sluiceSync(sb, r, 'add', 'model.bin', 'moveme.bin', 'data');
  sluiceSync(sb, r, 'repro');
  sluiceSync(sb, r, 'import', sb.src, 'srcdata', '-o', 'imported');
  symlinkSync('../outside', join(r, 'link'));
  symlinkSync('.', join(r, 'rootlink'));
  symlinkSync('.git', join(r, 'gitlink'));
  // the objects hostile metafiles name: in the cache and on the remote
  for (const root of [join(r, '.dvc', 'cache', 'files', 'md5'), join(sb.remote, 'files', 'md5')]) {
    putObject(root, HOSTILE_CONTENT);
    putDirObject(root, HOSTILE_DIR_LISTING);
  }
  sluiceSync(sb, r, 'push');
  gitSync(sb, r, 'add', '-A');
  gitSync(sb, r, 'commit', '-q', '-m', 'tracked data, a pipeline, an import, symlinks');
  return sb;
}

function writeAll(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A copy of the template for one case (symlinks copied as they are, modes kept). */
export function cloneSandbox(template: Sandbox): Sandbox {
  const sb = layout(scratchDir('sluice-hostile-case-'));
  cpSync(template.base, sb.base, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
  });
  // the absolute path of the import source is recorded in imported.dvc
  const imported = join(sb.repo, 'imported.dvc');
  writeFileSync(imported, readFileSync(imported, 'utf8').split(template.base).join(sb.base));
  return sb;
}

export { writeAll };

// ---------------------------------------------------------------------------------------------
// Snapshots and invariants

export interface Snapshot {
  /** <base>/outside, <base>/remote and <base>/src, path by path (bytes, modes, link targets). */
  outside: Record<string, string>;
  /** .git without its index, path by path. */
  git: Record<string, string>;
  /** The index's entries (`git ls-files -s`): git may rewrite the file with the same entries. */
  gitIndex: string;
  /** Files whose bytes must stay: path to content (null = must not exist). */
  files: Map<string, Buffer | null>;
  /** Objects in the cache under their final names. */
  cacheObjects: Set<string>;
}

function safeSnapshot(root: string): Record<string, string> {
  try {
    return snapshotTree(root);
  } catch (e) {
    return { '<unreadable>': String(e) };
  }
}

export function snapshotOutside(sb: Sandbox): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['outside', 'remote', 'src']) {
    for (const [k, v] of Object.entries(safeSnapshot(join(sb.base, name)))) out[`${name}/${k}`] = v;
  }
  // nothing new may appear beside them either (a write through `..`)
  for (const name of readdirSync(sb.base)) out[`<base>/${name}`] = lstatKind(join(sb.base, name));
  return out;
}

function lstatKind(path: string): string {
  const s = lstatSync(path);
  if (s.isSymbolicLink()) return `link:${readlinkSync(path)}`;
  return s.isDirectory() ? 'dir' : 'file';
}

export function gitIndexEntries(sb: Sandbox): string {
  const r = spawnSync('git', ['ls-files', '-s'], {
    cwd: sb.repo,
    env: sandboxEnv(sb),
    encoding: 'utf8',
  });
  return `${r.status}:${r.stdout}${r.stderr}`;
}

export function snapshotGit(sb: Sandbox): Record<string, string> {
  const all = safeSnapshot(join(sb.repo, '.git'));
  delete all.index;
  return all;
}

export function takeSnapshot(sb: Sandbox, files: string[]): Snapshot {
  const contents = new Map<string, Buffer | null>();
  for (const f of files) {
    try {
      contents.set(f, readFileSync(join(sb.repo, f)));
    } catch {
      contents.set(f, null);
    }
  }
  return {
    outside: snapshotOutside(sb),
    git: snapshotGit(sb),
    gitIndex: gitIndexEntries(sb),
    files: contents,
    cacheObjects: new Set(auditObjects(join(sb.repo, '.dvc', 'cache', 'files', 'md5')).objects),
  };
}

/** The keys whose values differ between two snapshots (at most `limit`). */
export function diffKeys(a: Record<string, string>, b: Record<string, string>, limit = 6): string {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const changed: string[] = [];
  for (const k of [...keys].sort()) {
    if (a[k] === b[k]) continue;
    const [was, now] = [a[k], b[k]];
    const sameBytes = was?.startsWith('file:') === true && was.split(':')[1] === now?.split(':')[1];
    const what =
      was === undefined
        ? 'created'
        : now === undefined
          ? 'deleted'
          : sameBytes
            ? `mode ${Number(was.split(':')[2]).toString(8)} -> ${Number(now?.split(':')[2]).toString(8)}`
            : 'changed';
    changed.push(`${JSON.stringify(k)} ${what}`);
  }
  const more = changed.length > limit ? ` and ${changed.length - limit} more` : '';
  return changed.slice(0, limit).join(', ') + more;
}

/** A command's output: fine when it succeeded quietly or failed with one clean ERROR line. */
export function outputViolations(run: Run): string[] {
  const all = run.stdout + run.stderr;
  const out: string[] = [];
  if (run.timedOut) out.push('output: timed out (killed after 60 s)');
  if (run.signal !== null && !run.timedOut) out.push(`output: killed by ${run.signal}`);
  if (/^\s+at /m.test(all)) out.push('output: a stack trace');
  const jsError =
    /\b(TypeError|ReferenceError|RangeError|SyntaxError|AssertionError)\b|Cannot read propert|is not a function|is not iterable|undefined is not/.exec(
      all,
    );
  if (jsError !== null) out.push(`output: a JavaScript error (${jsError[0]})`);
  if (/^ERROR: unexpected error/m.test(all)) {
    out.push(
      'output: an unexpected error (not a SluiceError): ' +
        (/^ERROR: unexpected error - (.{0,60})/m.exec(all)?.[1] ?? ''),
    );
  }
  const errors = all.split('\n').filter((l) => l.startsWith('ERROR'));
  if (run.code === 0 && errors.length > 0) out.push('output: ERROR printed but exit code 0');
  if (run.code !== 0 && run.code !== null && errors.length !== 1) {
    out.push(`output: exit ${run.code} with ${errors.length} ERROR lines (want exactly 1)`);
  }
  return out;
}

export interface CheckContext {
  /** The command may overwrite or delete the user's unsaved work (-f, remove --outs). */
  mayDiscardUnsaved: boolean;
  /** The command may delete cache objects (gc). */
  mayDeleteObjects: boolean;
  /** Files the case names on purpose (a collision), which -f/remove --outs may replace. */
  namedOnPurpose: Set<string>;
  bystanders: string[];
  unsaved: string[];
  /** `move FROM TO`: a file under FROM that is now at the same place under TO was kept. */
  moved?: { from: string; to: string };
}

/** Where `f` went when `moved` moved the folder or file that holds it. */
function movedPath(f: string, moved: CheckContext['moved']): string | undefined {
  if (moved === undefined) return undefined;
  if (f === moved.from) return moved.to;
  return f.startsWith(`${moved.from}/`) ? `${moved.to}${f.slice(moved.from.length)}` : undefined;
}

/** The bytes of `f`, or of where `move` took it when it is gone from its place. */
function readKept(
  sb: Sandbox,
  f: string,
  was: Buffer,
  moved: CheckContext['moved'],
): Buffer | null {
  const now = readOrNull(join(sb.repo, f));
  if (now !== null) return now;
  const to = movedPath(f, moved);
  const there = to === undefined ? null : readOrNull(join(sb.repo, to));
  return there !== null && there.equals(was) ? there : null;
}

/** Everything that must hold after any command of a case, compared with `before`. */
export function stateViolations(sb: Sandbox, before: Snapshot, ctx: CheckContext): string[] {
  const out: string[] = [];
  if (!existsSync(sb.repo)) return ['workspace: the repository folder itself was deleted'];
  const outside = snapshotOutside(sb);
  const outsideDiff = diffKeys(before.outside, outside);
  if (outsideDiff !== '') out.push(`outside: changed outside the repository: ${outsideDiff}`);
  const gitDiff = diffKeys(before.git, snapshotGit(sb));
  if (gitDiff !== '') out.push(`.git: changed: ${gitDiff}`);
  else if (gitIndexEntries(sb) !== before.gitIndex) out.push('.git: the index entries changed');
  for (const essential of ['.git/HEAD', '.dvc/config']) {
    if (!existsSync(join(sb.repo, essential))) out.push(`workspace: ${essential} is gone`);
  }
  for (const f of ctx.bystanders) {
    const was = before.files.get(f);
    const now = readOrNull(join(sb.repo, f));
    const excused =
      ctx.mayDiscardUnsaved &&
      [...ctx.namedOnPurpose].some((n) => f === n || f.startsWith(`${n}/`));
    if (now === null && !excused) out.push(`workspace: git-tracked file ${f} was deleted`);
    else if (now !== null && was != null && !now.equals(was) && !excused) {
      out.push(`workspace: git-tracked file ${f} was overwritten`);
    }
  }
  if (!ctx.mayDiscardUnsaved) {
    for (const f of ctx.unsaved) {
      const was = before.files.get(f);
      if (was == null) continue;
      const now = readKept(sb, f, was, ctx.moved);
      if (now === null) out.push(`unsaved: ${f} was deleted without -f`);
      else if (!now.equals(was)) out.push(`unsaved: ${f} was overwritten without -f`);
    }
  }
  for (const [root, name] of [
    [join(sb.repo, '.dvc', 'cache', 'files', 'md5'), 'cache'],
    [join(sb.remote, 'files', 'md5'), 'remote'],
  ] as const) {
    const audit = auditObjects(root);
    if (audit.bad.length > 0)
      out.push(`${name}: objects not matching their names: ${audit.bad.join(', ')}`);
    if (name === 'cache' && !ctx.mayDeleteObjects) {
      const now = new Set(audit.objects);
      const lost = [...before.cacheObjects].filter((o) => !now.has(o));
      if (lost.length > 0) out.push(`cache: ${lost.length} objects deleted (not gc)`);
    }
  }
  return out;
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// sluice ui

export interface Ui {
  url: string;
  stop: () => Promise<Run>;
  exited: () => boolean;
}

export function startUiIn(sb: Sandbox): Promise<Ui> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [sluiceBin, 'ui', '--port', '0'], {
      cwd: sb.repo,
      env: sandboxEnv(sb),
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let stdout = '';
    let stderr = '';
    let closed: Run | undefined;
    const done = new Promise<Run>((res) => {
      child.once('close', (code, signal) => {
        if (pid !== undefined) live.delete(pid);
        closed = { code, signal, stdout, stderr, timedOut: false };
        res(closed);
      });
    });
    const timer = setTimeout(() => {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          exited: () => closed !== undefined,
          stop: () => {
            if (closed === undefined) child.kill('SIGTERM');
            return done;
          },
        });
      }
    });
    void done.then((run) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`sluice ui exited ${run.code}`), { run }));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function httpGet(url: string, path: string): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method: 'GET', timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
