import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { errnoCode, SluiceError } from '../1-base/errors.js';
import { compareCodePoints } from '../1-base/python.js';
import { NO_OBSERVER, readEnv, type ReadObserver } from '../2-fs/readObserver.js';

/** One entry of `git ls-tree -r`. `path` is relative to the repository root, POSIX separators. */
export interface LsTreeEntry {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  oid: string;
}

export interface IterRevsOptions {
  revs?: string[];
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** With `revs`/`allBranches`: also take `rev~1 … rev~(num-1)` (DVC's `-n`). Default 1. */
  num?: number;
}

interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

interface RunOptions {
  cwd: string;
  input?: string | Buffer;
  /** Exit codes that are not failures. Default [0]. */
  okCodes?: number[];
  literalPathspecs?: boolean;
}

// Read-only commands must not take index.lock (a concurrent `git add` would fail); English
// messages keep the error text predictable.
const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_OPTIONAL_LOCKS: '0',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

// Literal pathspecs keep `*` and `[` in file names literal (check-ignore refuses them).
function gitEnv(literalPathspecs = false): NodeJS.ProcessEnv {
  const env = { ...process.env, ...GIT_ENV };
  if (literalPathspecs) env.GIT_LITERAL_PATHSPECS = '1';
  else delete env.GIT_LITERAL_PATHSPECS;
  return env;
}

class GitMissingError extends Error {}

function runGit(args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: gitEnv(options.literalPathspecs),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      if (errnoCode(error) === 'ENOENT') {
        reject(new GitMissingError('git executable not found'));
      } else {
        reject(new SluiceError('SCM', `cannot run git: ${error.message}`, { cause: error }));
      }
    });
    // EPIPE when git exits before reading all input is reported through 'close' anyway.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      resolvePromise({
        code: code ?? 128,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

function firstLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return (line ?? '').replace(/^(fatal|error): /, '');
}

function splitNul(buffer: Buffer): string[] {
  const text = buffer.toString('utf8');
  return text.split('\0').filter((part) => part.length > 0);
}

function splitLines(buffer: Buffer): string[] {
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/** Paths handed to git must be repo-relative POSIX without `./`. */
function normalizeRel(relPath: string): string {
  let p = relPath.replace(/\\/g, '/');
  while (p.startsWith('./')) p = p.slice(2);
  return p;
}

/**
 * The work tree holding `absDir` when it is an ordinary one: the nearest folder with a `.git`
 * folder (or a worktree's `gitdir:` file), no git environment overrides, not bare. Saves a
 * `git rev-parse` process on every command; anything unusual is left to git itself.
 */
function plainWorkTreeOf(absDir: string, observer: ReadObserver): string | undefined {
  if (
    readEnv(observer, 'GIT_DIR') !== undefined ||
    readEnv(observer, 'GIT_WORK_TREE') !== undefined
  )
    return undefined;
  for (let dir = absDir; ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    observer.onRead(dotGit);
    let isDir: boolean;
    try {
      isDir = lstatSync(dotGit).isDirectory();
    } catch {
      if (dirname(dir) === dir) return undefined;
      continue;
    }
    if (!isDir) {
      try {
        return readFileSync(dotGit, 'utf8').startsWith('gitdir: ') ? dir : undefined;
      } catch {
        return undefined;
      }
    }
    try {
      // core.bare or core.worktree change what the top level is: ask git.
      observer.onRead(join(dotGit, 'config'));
      const config = readFileSync(join(dotGit, 'config'), 'utf8');
      return /^\s*(bare\s*=\s*true|worktree\s*=)/im.test(config) ? undefined : dir;
    } catch {
      return undefined;
    }
  }
}

/**
 * A thin wrapper over the `git` command line. All paths are relative to `root` with POSIX
 * separators. Failures throw `SluiceError('SCM', …)`.
 */
export class Git {
  readonly root: string;
  private blobReader: GitBlobReader | undefined;

  private constructor(
    root: string,
    /** Told of every git process started: what git reads is not witnessed. */
    private readonly observer: ReadObserver,
  ) {
    this.root = root;
  }

  /**
   * The git work tree containing `dir`, or null when `dir` is not inside one (or git is not
   * installed). `root` keeps the spelling of `dir` (symlinks unresolved) when possible.
   */
  static async find(dir: string, observer: ReadObserver = NO_OBSERVER): Promise<Git | null> {
    const absDir = resolve(dir);
    const plain = plainWorkTreeOf(absDir, observer);
    if (plain !== undefined) return new Git(plain, observer);
    observer.onUnwitnessed('git rev-parse');
    let result: RunResult;
    try {
      result = await runGit(['rev-parse', '--show-toplevel'], { cwd: absDir, okCodes: [0] });
    } catch (error) {
      if (error instanceof GitMissingError) return null;
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }
    if (result.code !== 0) return null;
    const top = result.stdout.toString('utf8').replace(/\n$/, '');
    if (top.length === 0) return null;
    // git prints the real path; express the root through the caller's spelling of `dir`.
    let root = resolve(top);
    try {
      const realDir = await realpath(absDir);
      const up = relative(realDir, root);
      if (up === '' || /^(\.\.[\\/])*\.\.$/.test(up)) root = resolve(absDir, up);
    } catch {
      // keep git's spelling
    }
    return new Git(root, observer);
  }

  /** Runs git in the root; throws SCM errors for exit codes outside `okCodes`. */
  async run(
    args: string[],
    options: { input?: string | Buffer; okCodes?: number[]; literalPathspecs?: boolean } = {},
  ): Promise<RunResult> {
    this.observer.onUnwitnessed(`git ${args[0] ?? ''}`);
    let result: RunResult;
    try {
      result = await runGit(args, { cwd: this.root, ...options });
    } catch (error) {
      if (error instanceof GitMissingError) {
        throw new SluiceError('SCM', 'git is not installed or not on PATH');
      }
      throw error;
    }
    const ok = options.okCodes ?? [0];
    if (!ok.includes(result.code)) {
      const reason = firstLine(result.stderr) || `exit code ${result.code}`;
      throw new SluiceError('SCM', `git ${args[0] ?? ''} failed: ${reason}`);
    }
    return result;
  }

  /**
   * The subset of `relPaths` that git tracks (present in the index). A directory counts as
   * tracked when any file below it is.
   */
  async isTracked(relPaths: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (relPaths.length === 0) return found;
    const { stdout } = await this.run(['ls-files', '-z', '--cached', '--full-name']);
    const files = splitNul(stdout);
    const wanted = new Map<string, string[]>();
    for (const p of relPaths) {
      const key = normalizeRel(p).replace(/\/+$/, '');
      wanted.set(key, [...(wanted.get(key) ?? []), p]);
    }
    let remaining = wanted.size;
    for (const file of files) {
      // The file itself and each of its parent directories.
      let cur = file;
      for (;;) {
        const originals = wanted.get(cur);
        if (originals !== undefined) {
          for (const o of originals) found.add(o);
          wanted.delete(cur);
          remaining--;
        }
        const slash = cur.lastIndexOf('/');
        if (slash < 0) break;
        cur = cur.slice(0, slash);
      }
      if (remaining === 0) break;
    }
    return found;
  }

  /**
   * The subset of `relPaths` that .gitignore rules (and info/exclude, core.excludesFile) ignore,
   * by pattern alone, whether or not the path is tracked — like DVC's dulwich-based check. A path
   * with a trailing `/` is matched as a directory; otherwise git looks at the file system.
   */
  async isIgnored(relPaths: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (relPaths.length === 0) return found;
    const byNormal = new Map<string, string[]>();
    for (const p of relPaths) {
      const key = normalizeRel(p);
      byNormal.set(key, [...(byNormal.get(key) ?? []), p]);
    }
    const input = Buffer.from([...byNormal.keys()].map((p) => p + '\0').join(''), 'utf8');
    // Exit code 1 means "nothing ignored".
    const { stdout } = await this.run(['check-ignore', '-z', '--stdin', '--no-index'], {
      input,
      okCodes: [0, 1],
    });
    for (const p of splitNul(stdout)) {
      for (const original of byNormal.get(p) ?? []) found.add(original);
    }
    return found;
  }

  async add(relPaths: string[]): Promise<void> {
    if (relPaths.length === 0) return;
    const input = relPaths.map((p) => normalizeRel(p) + '\0').join('');
    await this.run(['add', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      input,
      literalPathspecs: true,
    });
  }

  /** The checked-out branch name, or null with a detached HEAD. */
  async currentBranch(): Promise<string | null> {
    const { code, stdout } = await this.run(['symbolic-ref', '-q', 'HEAD'], { okCodes: [0, 1] });
    if (code !== 0) return null;
    const ref = stdout.toString('utf8').trim();
    return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
  }

  /** The commit sha `rev` names, or null. Accepts shas, `HEAD~N`, branches, tags. */
  async tryResolveRev(rev: string): Promise<string | null> {
    if (rev.length === 0 || rev.startsWith('-')) return null;
    const { code, stdout } = await this.run(
      ['rev-parse', '--verify', '-q', '--end-of-options', `${rev}^{commit}`],
      { okCodes: [0, 1, 128] },
    );
    if (code !== 0) return null;
    return stdout.toString('utf8').trim();
  }

  /** Like `tryResolveRev`, but an unknown revision is an error worded as DVC's. */
  async resolveRev(rev: string): Promise<string> {
    const sha = await this.tryResolveRev(rev);
    if (sha == null) throw new SluiceError('SCM', `unknown Git revision '${rev}'`);
    return sha;
  }

  /** The sha of HEAD, or null when the current branch has no commits yet. */
  async headSha(): Promise<string | null> {
    return this.tryResolveRev('HEAD');
  }

  async hasCommits(): Promise<boolean> {
    return (await this.headSha()) != null;
  }

  /** Local branch names, sorted as DVC sorts them. */
  async listBranches(): Promise<string[]> {
    return this.listRefs('refs/heads/');
  }

  /** Tag names, sorted. */
  async listTags(): Promise<string[]> {
    return this.listRefs('refs/tags/');
  }

  private async listRefs(prefix: string): Promise<string[]> {
    const { stdout } = await this.run(['for-each-ref', '--format=%(refname)', prefix]);
    return splitLines(stdout)
      .filter((ref) => ref.startsWith(prefix))
      .map((ref) => ref.slice(prefix.length))
      .sort(compareCodePoints);
  }

  /**
   * Every commit reachable from HEAD, local branches, remote-tracking branches and tags (what
   * DVC's `-A` walks; experiment refs and the stash are left out), newest first.
   */
  async listCommits(limit?: number): Promise<string[]> {
    const args = ['rev-list', '--branches', '--remotes', '--tags'];
    if (limit !== undefined) args.push(`--max-count=${Math.max(0, Math.floor(limit))}`);
    if (await this.hasCommits()) args.push('HEAD');
    const { stdout } = await this.run(args);
    return splitLines(stdout);
  }

  /**
   * The revisions DVC's brancher visits for `-a/-T/-A` and explicit revisions: commit sha →
   * display names, in first-seen order. The display name is the names joined with `,`.
   * Unknown explicit revisions throw.
   */
  async iterRevs(options: IterRevsOptions): Promise<Map<string, string[]>> {
    const num = options.num ?? 1;
    const names: string[] = [];
    const nCommits = async (revs: string[]): Promise<void> => {
      for (const rev of revs) {
        if (num === 0) continue;
        names.push(rev);
        for (let n = 1; n < num; n++) {
          const sha = await this.tryResolveRev(`${rev}~${n}`);
          if (sha == null) break;
          names.push(sha);
        }
      }
    };
    await nCommits(options.revs ?? []);
    if (options.allCommits) {
      names.push(...(await this.listCommits()));
    } else {
      if (options.allBranches) await nCommits(await this.listBranches());
      if (options.allTags) names.push(...(await this.listTags()));
    }
    const grouped = new Map<string, string[]>();
    for (const name of names) {
      const sha = await this.resolveRev(name);
      const list = grouped.get(sha);
      if (list === undefined) grouped.set(sha, [name]);
      else if (!list.includes(name)) list.push(name);
    }
    return grouped;
  }

  /** Whether tracked files differ from HEAD (or untracked files exist, with `untrackedFiles`). */
  async isDirty(options: { untrackedFiles?: boolean } = {}): Promise<boolean> {
    const args = ['status', '--porcelain', '-z'];
    args.push(options.untrackedFiles ? '--untracked-files=normal' : '--untracked-files=no');
    const { stdout } = await this.run(args);
    return stdout.length > 0;
  }

  /** `git ls-tree -r` of `rev`, optionally limited to the folder (or file) `dir`. */
  async lsTree(rev: string, dir?: string): Promise<LsTreeEntry[]> {
    const sha = await this.resolveRev(rev);
    const args = ['ls-tree', '-r', '-z', '--full-tree', sha];
    if (dir !== undefined) {
      const d = normalizeRel(dir).replace(/\/+$/, '');
      if (d !== '' && d !== '.') args.push('--', d);
    }
    const { stdout } = await this.run(args, { literalPathspecs: true });
    const entries: LsTreeEntry[] = [];
    for (const record of splitNul(stdout)) {
      const tab = record.indexOf('\t');
      const [mode, type, oid] = record.slice(0, tab).split(' ');
      if (mode === undefined || oid === undefined) continue;
      if (type !== 'blob' && type !== 'tree' && type !== 'commit') continue;
      entries.push({ path: record.slice(tab + 1), mode, type, oid });
    }
    return entries;
  }

  /** The content of `path` at `rev`, or null when it does not exist there or is not a file. */
  async readBlob(rev: string, path: string): Promise<Buffer | null> {
    this.observer.onUnwitnessed('git cat-file');
    this.blobReader ??= new GitBlobReader(this.root);
    return this.blobReader.read(rev, path);
  }

  /** Many blobs through one `git cat-file --batch` process, pipelined. */
  async readBlobs(items: ReadonlyArray<{ rev: string; path: string }>): Promise<(Buffer | null)[]> {
    this.observer.onUnwitnessed('git cat-file');
    this.blobReader ??= new GitBlobReader(this.root);
    const reader = this.blobReader;
    return Promise.all(items.map((item) => reader.read(item.rev, item.path)));
  }

  /** Stops the background `cat-file` process, if any. The object stays usable. */
  async close(): Promise<void> {
    const reader = this.blobReader;
    this.blobReader = undefined;
    if (reader !== undefined) await reader.close();
  }
}

interface Pending {
  resolve: (value: Buffer | null) => void;
  reject: (error: Error) => void;
}

/**
 * A persistent `git cat-file --batch`: requests are written as `<rev>:<path>` lines and answered
 * in order, so many can be in flight at once.
 */
export class GitBlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private failure: Error | undefined;
  private closed = false;
  private exited: Promise<void>;
  // Parser state.
  private header: Buffer = Buffer.alloc(0);
  private body: Buffer | undefined;
  private bodyFilled = 0;
  private bodyIsBlob = false;
  private skipNewline = false;

  constructor(root: string) {
    this.child = spawn('git', ['cat-file', '--batch'], {
      cwd: root,
      env: gitEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stderr: Buffer[] = [];
    this.child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolveExit) => {
      this.child.on('error', (error) => {
        this.fail(
          errnoCode(error) === 'ENOENT'
            ? new SluiceError('SCM', 'git is not installed or not on PATH')
            : new SluiceError('SCM', `cannot run git cat-file: ${error.message}`),
        );
        resolveExit();
      });
      this.child.on('close', (code) => {
        if (!this.closed || this.queue.length > 0) {
          const reason = firstLine(Buffer.concat(stderr).toString('utf8')) || `exit code ${code}`;
          this.fail(new SluiceError('SCM', `git cat-file stopped: ${reason}`));
        }
        resolveExit();
      });
    });
    this.updateRef();
  }

  read(rev: string, path: string): Promise<Buffer | null> {
    const spec = `${rev}:${normalizeRel(path)}`;
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new SluiceError('SCM', 'blob reader is closed'));
    if (/[\n\r]/.test(spec)) return Promise.resolve(null);
    return new Promise((resolveRead, reject) => {
      this.queue.push({ resolve: resolveRead, reject });
      this.updateRef();
      this.child.stdin.write(spec + '\n');
    });
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.child.stdin.end();
    }
    this.child.ref();
    await this.exited;
  }

  // An idle reader must not keep the process alive.
  private updateRef(): void {
    const busy = this.queue.length > 0;
    const streams = [this.child.stdout, this.child.stderr, this.child.stdin] as unknown as Array<{
      ref?: () => void;
      unref?: () => void;
    }>;
    if (busy) {
      this.child.ref();
      for (const s of streams) s.ref?.();
    } else {
      this.child.unref();
      for (const s of streams) s.unref?.();
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }

  private onData(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skipNewline) {
        this.skipNewline = false;
        offset += 1; // the LF after each object body
        continue;
      }
      if (this.body !== undefined) {
        const take = Math.min(this.body.length - this.bodyFilled, chunk.length - offset);
        chunk.copy(this.body, this.bodyFilled, offset, offset + take);
        this.bodyFilled += take;
        offset += take;
        if (this.bodyFilled === this.body.length) {
          const data = this.body;
          this.body = undefined;
          this.skipNewline = true;
          this.settle(this.bodyIsBlob ? data : null);
        }
        continue;
      }
      const nl = chunk.indexOf(0x0a, offset);
      if (nl < 0) {
        this.header = Buffer.concat([this.header, chunk.subarray(offset)]);
        return;
      }
      const line = Buffer.concat([this.header, chunk.subarray(offset, nl)]).toString('utf8');
      this.header = Buffer.alloc(0);
      offset = nl + 1;
      this.onHeader(line);
    }
  }

  private onHeader(line: string): void {
    // "<oid> <type> <size>" or "<name> missing" / "<name> ambiguous".
    const match = /^[0-9a-f]{40,64} (\S+) (\d+)$/.exec(line);
    if (match == null) {
      this.settle(null);
      return;
    }
    const size = Number(match[2]);
    this.bodyIsBlob = match[1] === 'blob';
    this.body = Buffer.allocUnsafe(size);
    this.bodyFilled = 0;
    if (size === 0) {
      this.body = undefined;
      this.skipNewline = true;
      this.settle(this.bodyIsBlob ? Buffer.alloc(0) : null);
    }
  }

  private settle(value: Buffer | null): void {
    const pending = this.queue.shift();
    pending?.resolve(value);
    if (this.queue.length === 0) this.updateRef();
  }
}
