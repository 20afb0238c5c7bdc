import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HashName } from '../core/hash/hashFile.js';
import type { Repo } from '../core/repo/repo.js';
import { buildGraph, scalar } from './model.js';
import type {
  GraphPayload,
  LivePayload,
  MetricsPayload,
  NodeDetails,
  RevisionsPayload,
} from './types.js';

/**
 * `sluice ui`: a read-only HTTP server (node:http, no framework) for the pipeline page. It
 * serves the page built into dist/web/app and a JSON API over the core library. Only files the
 * pipeline tracks can be downloaded, and only by their exact path in the graph: there is no
 * file-system path in any request.
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
    const { collectMetrics } = await import('../core/metrics/collectMetrics.js');
    const { revisionNamed } = await import('../core/metrics/revision.js');
    const { flattenMetrics } = await import('../core/metrics/metricsFile.js');
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
    const { StageIndex } = await import('../core/stage/stageIndex.js');
    const { repoStatus } = await import('../core/ops/stageStatus.js');
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

  /** The node, and for files what can be downloaded or previewed. */
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
    const file = await this.fileSource(node.path, rev).catch(() => undefined);
    if (file === undefined) {
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
   * The bytes of a file the pipeline tracks at `rev`: a cached output (or a file inside a cached
   * directory output) from the local cache by hash, or a file git tracks. Anything else: 404.
   */
  async fileSource(path: string, rev: string): Promise<FileSource> {
    const graph = await this.graph(rev, false);
    const name = posix.basename(path);
    const node = graph.nodes.find((n) => n.path === path && n.kind !== 'stage');
    const fromCache = async (hash: string, hashName: string): Promise<FileSource> => {
      const name2 = hashName as HashName;
      if (!this.repo.odb.exists(hash, name2) && node?.remote !== undefined) {
        // Only the remote has it: fetch this one object into the cache (hash-verified).
        const { fetchOneObject } = await import('../core/remote/sync.js');
        await fetchOneObject(this.repo, node.remote, hash, name2).catch(() => undefined);
      }
      if (!this.repo.odb.exists(hash, name2)) {
        throw new HttpError(404, `'${path}' is not in the local cache (run \`sluice fetch\`)`);
      }
      const abs = this.repo.odb.oidPath(hash, name2);
      return { open: () => createReadStream(abs), size: statSync(abs).size, name };
    };
    if (node !== undefined) {
      if (node.location === 'git' || node.location === 'workspace') {
        if (node.location === 'workspace' && node.kind === 'data' && node.hash === undefined) {
          throw new HttpError(404, `'${path}' is not tracked`);
        }
        const bytes = await this.readGitOrWorkspace(path, graph);
        if (bytes === null) throw new HttpError(404, `'${path}' is not available`);
        return { open: () => bytes, size: bytes.length, name };
      }
      if (node.hash !== undefined && !node.hash.endsWith('.dir')) {
        return fromCache(node.hash, node.hashName ?? 'md5');
      }
      throw new HttpError(404, `'${path}' cannot be downloaded`);
    }
    // a file inside a tracked directory
    const parent = graph.nodes.find(
      (n) => n.flavor === 'dir' && n.path !== undefined && path.startsWith(`${n.path}/`),
    );
    const parentPath = parent?.path;
    if (parent !== undefined && parentPath !== undefined && parent.hash !== undefined) {
      const entries = this.repo.odb.readDir(parent.hash, (parent.hashName ?? 'md5') as HashName);
      const entry = entries?.find((e) => e.relpath === path.slice(parentPath.length + 1));
      if (entry !== undefined) return fromCache(entry.md5, parent.hashName ?? 'md5');
    }
    throw new HttpError(404, `'${path}' is not tracked by the pipeline`);
  }

  private async readGitOrWorkspace(path: string, graph: GraphPayload): Promise<Buffer | null> {
    const git = this.repo.git;
    if (graph.sha !== undefined && git !== null) {
      const prefix = posix.relative(
        git.root.split('\\').join('/'),
        this.repo.root.split('\\').join('/'),
      );
      const [blob] = await git.readBlobs([
        { rev: graph.sha, path: prefix === '' ? path : `${prefix}/${path}` },
      ]);
      return blob ?? null;
    }
    try {
      const abs = this.repo.abs(path);
      if (!statSync(abs).isFile()) return null;
      return readFileSync(abs);
    } catch {
      return null;
    }
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

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** DNS rebinding: a page on another name must not be able to read the API. */
function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  const header = req.headers.host;
  if (header === undefined) return false;
  const name = header
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (isLoopback(name)) return true;
  // with --host, the name the user chose (or any, for 0.0.0.0) is fine
  return (
    !isLoopback(boundHost) &&
    (boundHost === '0.0.0.0' || boundHost === '::' || name === boundHost.toLowerCase())
  );
}

export async function startUiServer(repo: Repo, options: UiServerOptions = {}): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const app = new UiApp(repo);
  const appDir = findAppDir();
  const clients = new Set<ServerResponse>();
  let lastLive = JSON.stringify(app.live());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req, host)) throw new HttpError(403, 'host not allowed');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'read-only');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
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
