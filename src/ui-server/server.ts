import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, extname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HashName } from '../core/3-objects/hashFile.js';
import type { Repo } from '../core/6-repo/repo.js';
import { buildGraph, scalar } from './model.js';
import type {
  GraphPayload,
  LivePayload,
  MetricsPayload,
  NodeDetails,
  RevisionsPayload,
} from './types.js';

/**
 * `sluice ui`: an HTTP server (node:http, no framework) for the pipeline page. It serves the page
 * built into dist/web/app and a JSON API over the core library.
 *
 * What keeps it safe on a developer's machine:
 * - Only the names a browser here uses for it are answered (127.0.0.1, [::1], localhost, with
 *   its port): a DNS-rebinding page on another name gets 403.
 * - GETs only read. Only files the pipeline tracks can be downloaded, only by their path in the
 *   graph, only from the cache by hash or from inside the repository once symlinks are resolved,
 *   and never anything under .git/, .dvc/tmp/ or .dvc/config.local.
 * - What transfers data (bringing an object from a remote) is a POST carrying the per-run token
 *   the page finds in its HTML; another origin can neither read the token nor send it.
 */

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.csv': 'text/csv; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.yaml': 'text/yaml; charset=utf-8',
  '.yml': 'text/yaml; charset=utf-8',
};

const IMAGE_EXTS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp']);
const TEXT_EXTS = new Set([
  '.csv',
  '.tsv',
  '.txt',
  '.md',
  '.json',
  '.yaml',
  '.yml',
  '.log',
  '.py',
  '.mjs',
  '.js',
  '.ts',
  '.sh',
  '.toml',
  '.ini',
  '.cfg',
  '.html',
  '.xml',
  '.r',
  '.sql',
  '.ipynb',
  '',
]);
const PREVIEW_BYTES = 32 * 1024;

/** Where `npm run build` puts the page: dist/web/app next to the compiled server. */
export function findAppDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, 'app'), join(here, '..', '..', 'dist', 'web', 'app')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

export interface UiServerOptions {
  host?: string;
  port?: number;
  /** How often the live repro state is polled (ms). */
  pollMs?: number;
}

export interface UiServer {
  url: string;
  host: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, JSON.stringify(value), 'application/json; charset=utf-8');
}

/** A repo-relative path as the API accepts it: no traversal, no absolute paths, no NUL. */
export function checkApiPath(path: string | null): string {
  if (path === null || path === '') throw new HttpError(400, 'missing path');
  if (
    path.includes('\0') ||
    path.includes('\\') ||
    path.startsWith('/') ||
    /^[a-zA-Z]:/.test(path) ||
    path.split('/').some((part) => part === '..' || part === '.' || part === '')
  ) {
    throw new HttpError(403, 'path not allowed');
  }
  return path;
}

/**
 * Files the page never serves, whatever a stage lists: git's own files (and a submodule's), the
 * machine-local config (credentials) and DVC's scratch folder.
 */
export function isPrivatePath(path: string): boolean {
  const parts = path.toLowerCase().split('/');
  return parts.some(
    (part, i) =>
      part === '.git' ||
      (part === '.dvc' && (parts[i + 1] === 'config.local' || parts[i + 1] === 'tmp')),
  );
}

/** A path the API may serve: clean, repo-relative and not private. */
function checkServable(path: string): string {
  checkApiPath(path);
  if (isPrivatePath(path)) throw new HttpError(403, 'path not allowed');
  return path;
}

function checkRev(rev: string | null): string {
  if (rev === null || rev === '' || rev === 'workspace') return 'workspace';
  // git resolves it; refuse what git would read as an option
  if (rev.startsWith('-') || rev.includes('\0') || rev.length > 200)
    throw new HttpError(400, 'bad revision');
  return rev;
}

interface FileSource {
  open(): NodeJS.ReadableStream | Buffer;
  size?: number;
  name: string;
}

export class UiApp {
  private readonly commitGraphs = new Map<string, Promise<GraphPayload>>();
  private readonly workspaceGraphs = new Map<string, Promise<GraphPayload>>();

  constructor(readonly repo: Repo) {}

  async graph(rev: string, metrics = true): Promise<GraphPayload> {
    if (rev === 'workspace') {
      // Requests that arrive while the workspace is being read share that reading: under a burst
      // (a page load fires many at once) the status is computed once, not once per request.
      const key = String(metrics);
      let pending = this.workspaceGraphs.get(key);
      if (pending === undefined) {
        pending = buildGraph(this.repo, rev, { metrics }).finally(() =>
          this.workspaceGraphs.delete(key),
        );
        this.workspaceGraphs.set(key, pending);
      }
      return pending;
    }
    // a commit never changes: keep its graph
    const git = this.repo.git;
    const sha = git === null ? rev : ((await git.tryResolveRev(rev)) ?? rev);
    const key = `${sha}:${metrics}`;
    let cached = this.commitGraphs.get(key);
    if (cached === undefined) {
      cached = buildGraph(this.repo, rev, { metrics }).then((g) => ({ ...g, rev }));
      cached.catch(() => this.commitGraphs.delete(key));
      this.commitGraphs.set(key, cached);
    }
    const g = await cached;
    return { ...g, rev };
  }

  async revisions(): Promise<RevisionsPayload> {
    const git = this.repo.git;
    if (git === null || !(await git.hasCommits())) {
      return { current: null, head: null, branches: [], tags: [], commits: [] };
    }
    const { stdout } = await git.run([
      'log',
      '-n',
      '30',
      '--format=%H%x00%h%x00%s%x00%cI',
      'HEAD',
      '--',
    ]);
    const commits = stdout
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((line) => {
        const [sha = '', short = '', subject = '', date = ''] = line.split('\0');
        return { sha, short, subject, date };
      });
    return {
      current: await git.currentBranch(),
      head: await git.headSha(),
      branches: await git.listBranches(),
      tags: await git.listTags(),
      commits,
    };
  }

  async metrics(revs: string[]): Promise<MetricsPayload> {
    const { collectMetrics } = await import('../core/9-ops/metrics/collectMetrics.js');
    const { revisionNamed } = await import('../core/8-revisions/revision.js');
    const { flattenMetrics } = await import('../core/7-metafiles/metricsFile.js');
    const files: MetricsPayload['files'] = {};
    const errors: string[] = [];
    for (const name of revs) {
      try {
        const rev = await revisionNamed(this.repo, name);
        const result = await collectMetrics(rev, {});
        if (result.error !== undefined) errors.push(`${name}: ${result.error.msg}`);
        for (const [path, file] of Object.entries(result.data ?? {})) {
          if (file.error !== undefined) {
            errors.push(`${name}: ${path}: ${file.error.msg}`);
            continue;
          }
          const byName = (files[path] ??= {});
          for (const [key, value] of Object.entries(flattenMetrics(file.data))) {
            const text = scalar(value);
            (byName[key] ??= {})[name] = text;
          }
        }
      } catch (error) {
        errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { revs, files, errors };
  }

  async status(): Promise<Record<string, unknown>> {
    const { StageIndex } = await import('../core/7-metafiles/stageIndex.js');
    const { repoStatus } = await import('../core/9-ops/pipeline/stageStatus.js');
    const index = StageIndex.load(this.repo);
    return repoStatus(this.repo, index, index.stages, '');
  }

  live(): LivePayload {
    try {
      const text = readFileSync(join(this.repo.tmpDir, 'sluice', 'repro.json'), 'utf8');
      const data = JSON.parse(text) as LivePayload & { pid?: number };
      let running = data.running;
      // a repro that was killed never writes `running: false`
      if (running && typeof data.pid === 'number' && !pidAlive(data.pid)) running = false;
      const payload: LivePayload = { running, stages: data.stages };
      if (data.startedAt !== undefined) payload.startedAt = data.startedAt;
      if (data.updatedAt !== undefined) payload.updatedAt = data.updatedAt;
      return payload;
    } catch {
      return { running: false, stages: {} };
    }
  }

  /** The node, and for files what can be downloaded or previewed. Never transfers anything. */
  async details(id: string, rev: string): Promise<NodeDetails> {
    const graph = await this.graph(rev);
    const node = graph.nodes.find((n) => n.id === id);
    if (node === undefined) throw new HttpError(404, `no node '${id}' at ${rev}`);
    const up = new Map<string, string[]>();
    const down = new Map<string, string[]>();
    for (const e of graph.edges) {
      up.set(e.target, [...(up.get(e.target) ?? []), e.source]);
      down.set(e.source, [...(down.get(e.source) ?? []), e.target]);
    }
    const details: NodeDetails = {
      node,
      upstream: up.get(id) ?? [],
      downstream: down.get(id) ?? [],
    };
    if (node.path === undefined || node.kind === 'stage') return details;
    if (node.flavor === 'dir' && node.hash !== undefined) {
      const entries = this.repo.odb.readDir(node.hash, (node.hashName ?? 'md5') as HashName);
      if (entries !== undefined) {
        details.entries = entries.slice(0, 500).map((e) => ({ relpath: e.relpath, hash: e.md5 }));
        if (entries.length > 500) details.entriesTruncated = true;
      }
      return details;
    }
    let file: FileSource | undefined;
    try {
      file = await this.fileSource(node.path, rev);
    } catch (error) {
      if (error instanceof OnlyOnRemote) details.fetchFrom = error.remote;
      details.preview = { type: 'none' };
      return details;
    }
    const query = `path=${encodeURIComponent(node.path)}&rev=${encodeURIComponent(rev)}`;
    details.download = `api/file?${query}`;
    const ext = extname(node.path).toLowerCase();
    if (IMAGE_EXTS.has(ext)) {
      details.preview = { type: 'image', url: `api/file?${query}&inline=1` };
    } else if (TEXT_EXTS.has(ext)) {
      const bytes = await readHead(file, PREVIEW_BYTES + 1);
      if (bytes.includes(0)) details.preview = { type: 'none' };
      else {
        details.preview = {
          type: 'text',
          text: bytes.subarray(0, PREVIEW_BYTES).toString('utf8'),
          truncated: bytes.length > PREVIEW_BYTES,
        };
      }
    } else {
      details.preview = { type: 'none' };
    }
    return details;
  }

  /**
   * Where the bytes of a file the pipeline tracks at `rev` are: an object in the cache (a cached
   * output, or a file inside a cached directory output), or a file git tracks / the workspace
   * holds. Anything else: 404.
   */
  private async locate(path: string, rev: string): Promise<Located> {
    const graph = await this.graph(rev, false);
    const node = graph.nodes.find((n) => n.path === path && n.kind !== 'stage');
    if (node !== undefined) {
      if (node.location === 'git' || node.location === 'workspace') {
        if (node.location === 'workspace' && node.kind === 'data' && node.hash === undefined) {
          throw new HttpError(404, `'${path}' is not tracked`);
        }
        return { from: 'repo', graph };
      }
      if (node.hash !== undefined && !node.hash.endsWith('.dir')) {
        return withRemote(
          { from: 'cache', hash: node.hash, hashName: (node.hashName ?? 'md5') as HashName },
          node.remote,
        );
      }
      throw new HttpError(404, `'${path}' cannot be downloaded`);
    }
    // a file inside a tracked directory
    const parent = graph.nodes.find(
      (n) => n.flavor === 'dir' && n.path !== undefined && path.startsWith(`${n.path}/`),
    );
    const parentPath = parent?.path;
    if (parent !== undefined && parentPath !== undefined && parent.hash !== undefined) {
      const hashName = (parent.hashName ?? 'md5') as HashName;
      const entries = this.repo.odb.readDir(parent.hash, hashName);
      const entry = entries?.find((e) => e.relpath === path.slice(parentPath.length + 1));
      if (entry !== undefined) {
        return withRemote({ from: 'cache', hash: entry.md5, hashName }, parent.remote);
      }
    }
    throw new HttpError(404, `'${path}' is not tracked by the pipeline`);
  }

  /** The bytes of a file the pipeline tracks at `rev`, from what is on this machine only. */
  async fileSource(path: string, rev: string): Promise<FileSource> {
    checkServable(path);
    const name = posix.basename(path);
    const where = await this.locate(path, rev);
    if (where.from === 'repo') {
      const bytes = await this.readGitOrWorkspace(path, where.graph);
      if (bytes === null) throw new HttpError(404, `'${path}' is not available`);
      return { open: () => bytes, size: bytes.length, name };
    }
    const abs = this.repo.odb.oidPath(where.hash, where.hashName);
    // the object itself, never a link planted in the cache folder
    const stats = lstatSync(abs, { throwIfNoEntry: false });
    if (stats === undefined && where.remote !== undefined)
      throw new OnlyOnRemote(path, where.remote);
    if (stats?.isFile() !== true) {
      throw new HttpError(404, `'${path}' is not in the local cache (run \`sluice fetch\`)`);
    }
    return { open: () => createReadStream(abs), size: stats.size, name };
  }

  /**
   * POST /api/fetch: brings the object of a file only a remote has into the local cache
   * (hash-verified, as every download). The only request that transfers data.
   */
  async fetchObject(path: string, rev: string): Promise<{ fetched: boolean }> {
    checkServable(path);
    const where = await this.locate(path, rev);
    if (where.from !== 'cache') return { fetched: false };
    if (this.repo.odb.exists(where.hash, where.hashName)) return { fetched: false };
    if (where.remote === undefined) {
      throw new HttpError(404, `'${path}' is not in the local cache and no remote is set`);
    }
    const { fetchOneObject } = await import('../core/9-ops/remote/download.js');
    try {
      await fetchOneObject(this.repo, where.remote, where.hash, where.hashName);
    } catch (error) {
      throw new HttpError(502, error instanceof Error ? error.message : String(error));
    }
    // a revision's graph was kept with the object "on the remote"
    this.commitGraphs.clear();
    return { fetched: true };
  }

  private async readGitOrWorkspace(path: string, graph: GraphPayload): Promise<Buffer | null> {
    const git = this.repo.git;
    if (graph.sha !== undefined && git !== null) {
      const prefix = posix.relative(
        git.root.split('\\').join('/'),
        this.repo.root.split('\\').join('/'),
      );
      const full = prefix === '' ? path : `${prefix}/${path}`;
      // a committed symlink is not a file of the repository: its blob is the name of another
      const entry = (await git.lsTree(graph.sha, full)).find((e) => e.path === full);
      if (entry === undefined || entry.type !== 'blob' || entry.mode === '120000') return null;
      const [blob] = await git.readBlobs([{ rev: graph.sha, path: full }]);
      return blob ?? null;
    }
    const real = this.realPathInside(path);
    if (real === null) return null;
    try {
      return readFileSync(real);
    } catch {
      return null;
    }
  }

  /**
   * The file's real path when, with every symlink resolved, it is a file inside the repository
   * and not a private one; otherwise null. A link to elsewhere (`link -> /home/me`) is refused.
   */
  private realPathInside(path: string): string | null {
    try {
      const root = realpathSync(this.repo.root);
      const real = realpathSync(this.repo.abs(path));
      const rel = relative(root, real);
      if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return null;
      if (isPrivatePath(rel.split(sep).join('/'))) return null;
      if (!lstatSync(real).isFile()) return null;
      return real;
    } catch {
      return null;
    }
  }
}

type Located =
  | { from: 'repo'; graph: GraphPayload }
  | { from: 'cache'; hash: string; hashName: HashName; remote?: string };

function withRemote(
  where: { from: 'cache'; hash: string; hashName: HashName },
  remote: string | undefined,
): Located {
  return remote === undefined ? where : { ...where, remote };
}

/** A file whose object only a remote has: a GET does not fetch it. */
class OnlyOnRemote extends HttpError {
  constructor(
    path: string,
    readonly remote: string,
  ) {
    super(
      404,
      `'${path}' is only on remote '${remote}': fetch it first (the page's Fetch button, or \`sluice fetch\`)`,
    );
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHead(file: FileSource, bytes: number): Promise<Buffer> {
  const source = file.open();
  if (Buffer.isBuffer(source)) return source.subarray(0, bytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf);
    total += buf.length;
    if (total >= bytes) break;
  }
  (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  return Buffer.concat(chunks).subarray(0, bytes);
}

/**
 * DNS rebinding: a page on another name that resolves to this machine must not read the API. A
 * browser here sends one of these names with the server's port (no port only for port 80); with
 * `--host` the bound address is allowed too, and for a wildcard bind (0.0.0.0, ::) any IP address
 * and this machine's name, since IP literals cannot be rebound.
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  if (header === undefined) return false;
  const match = /^(\[[0-9a-f:.]+\]|[^[\]:]+)(?::(\d{1,5}))?$/i.exec(header);
  if (match === null) return false;
  const name = (match[1] ?? '').toLowerCase();
  if ((match[2] === undefined ? 80 : Number(match[2])) !== port) return false;
  if (name === '127.0.0.1' || name === '[::1]' || name === 'localhost') return true;
  const bare = name.replace(/^\[(.*)\]$/, '$1');
  const bound = boundHost.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === bound) return true;
  if (bound === '0.0.0.0' || bound === '::') {
    return isIP(bare) !== 0 || bare === hostname().toLowerCase();
  }
  return false;
}

/**
 * A POST must carry the page's token, and when the browser says where it comes from, come from
 * the page itself. Another site cannot read the token (the HTML is same-origin only, and the
 * custom header makes a cross-origin request need a preflight this server never grants).
 */
function postAllowed(req: IncomingMessage, token: Buffer): boolean {
  const origin = req.headers.origin;
  if (
    origin !== undefined &&
    origin.toLowerCase() !== `http://${req.headers.host ?? ''}`.toLowerCase()
  ) {
    return false;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const sent = req.headers[TOKEN_HEADER];
  if (typeof sent !== 'string') return false;
  const given = Buffer.from(sent);
  return given.length === token.length && timingSafeEqual(given, token);
}

const TOKEN_HEADER = 'x-sluice-token';
const MAX_BODY = 16 * 1024;

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > MAX_BODY) throw new HttpError(413, 'request too large');
    chunks.push(buf);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // answered below
  }
  throw new HttpError(400, 'the body must be a JSON object');
}

/** The page's HTML with the run's token in a meta tag the page's script reads. */
function withToken(html: string, token: string): string {
  return html.replace('</head>', () => `<meta name="sluice-token" content="${token}" />\n</head>`);
}

/** Endpoints that change something: POST only, with the token. */
const POST_ENDPOINTS = new Set(['/api/fetch']);

export async function startUiServer(repo: Repo, options: UiServerOptions = {}): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const app = new UiApp(repo);
  const appDir = findAppDir();
  const clients = new Set<ServerResponse>();
  let lastLive = JSON.stringify(app.live());
  // per run: the page gets it in its HTML and sends it back with every POST
  const token = randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token);
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, host, port)) {
      throw new HttpError(403, `host not allowed: open http://127.0.0.1:${port}/`);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    if (POST_ENDPOINTS.has(url.pathname)) {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      if (!postAllowed(req, tokenBytes)) {
        throw new HttpError(403, 'missing or wrong token: reload the page');
      }
      const body = await readJsonBody(req);
      const path = typeof body.path === 'string' ? body.path : null;
      const rev = typeof body.rev === 'string' ? body.rev : null;
      return sendJson(res, await app.fetchObject(checkApiPath(path), checkRev(rev)));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'read-only');
    switch (url.pathname) {
      case '/api/graph':
        return sendJson(res, await app.graph(checkRev(q.get('rev'))));
      case '/api/node':
        return sendJson(res, await app.details(q.get('id') ?? '', checkRev(q.get('rev'))));
      case '/api/status':
        return sendJson(res, await app.status());
      case '/api/revisions':
        return sendJson(res, await app.revisions());
      case '/api/metrics': {
        const revs = (q.get('revs') ?? 'workspace')
          .split(',')
          .filter((r) => r !== '')
          .map((r) => checkRev(r));
        return sendJson(res, await app.metrics(revs.slice(0, 20)));
      }
      case '/api/live':
        return sendJson(res, app.live());
      case '/api/events': {
        res.writeHead(200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
        });
        res.write(`event: live\ndata: ${JSON.stringify(app.live())}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      }
      case '/api/file': {
        const path = checkApiPath(q.get('path'));
        const file = await app.fileSource(path, checkRev(q.get('rev')));
        const ext = extname(path).toLowerCase();
        const inline = q.get('inline') === '1' && IMAGE_EXTS.has(ext);
        res.writeHead(200, {
          'Content-Type': inline
            ? (CONTENT_TYPES[ext] ?? 'application/octet-stream')
            : 'application/octet-stream',
          'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${file.name.replace(/["\\\r\n]/g, '_')}"`,
          'X-Content-Type-Options': 'nosniff',
          'Content-Security-Policy': 'sandbox',
          'Cache-Control': 'no-store',
          ...(file.size === undefined ? {} : { 'Content-Length': String(file.size) }),
        });
        if (req.method === 'HEAD') return void res.end();
        const source = file.open();
        if (Buffer.isBuffer(source)) return void res.end(source);
        source.pipe(res);
        return;
      }
      default:
        break;
    }
    if (url.pathname.startsWith('/api/')) throw new HttpError(404, 'no such endpoint');
    if (appDir === undefined) {
      throw new HttpError(500, 'the page is not built: run `npm run build`');
    }
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    checkApiPath(rel);
    const abs = join(appDir, rel);
    let body: Buffer;
    try {
      body = readFileSync(abs);
    } catch {
      throw new HttpError(404, 'not found');
    }
    if (rel === 'index.html') body = Buffer.from(withToken(body.toString('utf8'), token));
    send(res, 200, body, CONTENT_TYPES[extname(rel)] ?? 'application/octet-stream');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) return void res.end();
      send(res, status, JSON.stringify({ error: message }), 'application/json; charset=utf-8');
    });
  });

  // Live repro state: poll the file `sluice repro` rewrites, push changes to every page.
  const timer = setInterval(() => {
    if (clients.size === 0) return;
    const now = JSON.stringify(app.live());
    if (now === lastLive) return;
    lastLive = now;
    for (const client of clients) client.write(`event: live\ndata: ${now}\n\n`);
  }, options.pollMs ?? 200);
  const keepAlive = setInterval(() => {
    for (const client of clients) client.write(': ping\n\n');
  }, 15_000);
  timer.unref();
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    host: address.address,
    port: address.port,
    server,
    close: async () => {
      clearInterval(timer);
      clearInterval(keepAlive);
      for (const client of clients) client.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await repo.git?.close();
    },
  };
}
