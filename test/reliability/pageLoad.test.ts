import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUi, type RunningUi } from '../browser/uiHelpers.js';
import { recordReliability } from '../helpers/reliabilityReport.js';
import { cleanupSandboxes, git, makeRepo, sluiceOk, writeTree } from '../helpers/sandbox.js';

/**
 * `sluice ui` as a server on a shared machine: loopback only, no path outside what the pipeline
 * tracks, and 1,000 requests at once answered correctly with the server still responsive.
 */

interface Reply {
  status: number;
  body: Buffer;
}

/** Raw GET, so odd paths reach the server exactly as written. */
function get(base: string, path: string): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Does anything accept a TCP connection at host:port? */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 3000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

let repo: string;
let ui: RunningUi;
const CSV = Array.from({ length: 2000 }, (_, i) => `${i},${(i * 7) % 13}`).join('\n') + '\n';

beforeAll(async () => {
  repo = makeRepo('sluice');
  writeTree(repo, {
    'data/raw.csv': CSV,
    'params.yaml': 'train:\n  epochs: 3\n',
    'notes.txt': 'in git, not tracked by the pipeline\n',
    'scripts/prep.sh': 'mkdir -p out && sort data/raw.csv > out/clean.csv\n',
    'scripts/train.sh':
      'wc -l out/clean.csv > out/model.txt && echo "{\\"acc\\": 0.9}" > metrics.json\n',
  });
  sluiceOk(repo, 'add', 'data/raw.csv');
  sluiceOk(
    repo,
    'stage',
    'add',
    '-n',
    'prep',
    '-d',
    'scripts/prep.sh',
    '-d',
    'data/raw.csv',
    '-o',
    'out/clean.csv',
    'sh scripts/prep.sh',
  );
  sluiceOk(
    repo,
    'stage',
    'add',
    '-n',
    'train',
    '-d',
    'scripts/train.sh',
    '-d',
    'out/clean.csv',
    '-p',
    'train.epochs',
    '-o',
    'out/model.txt',
    '-M',
    'metrics.json',
    'sh scripts/train.sh',
  );
  sluiceOk(repo, 'repro');
  sluiceOk(repo, 'config', 'core.autostage', 'false');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'pipeline');
  ui = await startUi(repo);
}, 120_000);

afterAll(async () => {
  await ui?.stop();
  cleanupSandboxes();
});

describe('sluice ui as a server', () => {
  it('listens on 127.0.0.1 only by default', async () => {
    const url = new URL(ui.url);
    expect(url.hostname).toBe('127.0.0.1');
    const port = Number(url.port);
    expect(await accepts('127.0.0.1', port)).toBe(true);
    // another loopback address and every other interface: a wildcard bind would answer there
    const others = ['127.0.0.2'];
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') others.push(a.address);
    }
    for (const host of others) expect(await accepts(host, port), host).toBe(false);
    // the listening socket in the kernel's table: 0100007F is 127.0.0.1
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A');
    expect(listening.map((f) => f[1])).toEqual([`0100007F:${hexPort}`]);
    const v6 = readFileSync('/proc/net/tcp6', 'utf8');
    expect(v6).not.toMatch(new RegExp(`:${hexPort} [0-9A-F]{32}:0000 0A`));
  });

  it('refuses path traversal (plain, encoded, double-encoded, absolute) and untracked files', async () => {
    const secretBytes = [
      readFileSync('/etc/passwd'),
      readFileSync(join(repo, '.dvc', 'config')),
      readFileSync(join(repo, '.git', 'config')),
      readFileSync(join(repo, 'notes.txt')),
    ].filter((b) => b.length > 0);
    expect(secretBytes).toHaveLength(4);
    const staticPaths = [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/%252e%252e/%252e%252e/etc/passwd',
      '/%252e%252e%252f%252e%252e%252fetc%252fpasswd',
      '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%5c..%5c..%5cetc%5cpasswd',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/assets/%00../../etc/passwd',
      '/.git/config',
      '/.dvc/config',
      '/notes.txt',
    ];
    const filePaths = [
      '../../../../etc/passwd',
      '/etc/passwd',
      '%2e%2e/%2e%2e/etc/passwd',
      '%252e%252e%252f%252e%252e%252fetc%252fpasswd',
      'data/../../../../etc/passwd',
      'data/..\\..\\..\\etc\\passwd',
      'data/raw.csv/../../.dvc/config',
      './data/raw.csv',
      'data//raw.csv',
      'data/raw.csv\u0000.txt',
      '.dvc/config',
      '.git/config',
      'notes.txt',
      'scripts/../notes.txt',
      '.dvc/cache',
    ];
    const attempts = [
      ...staticPaths,
      ...filePaths.map((p) => `/api/file?path=${encodeURIComponent(p)}`),
      // as typed (only bytes a request line cannot carry are escaped)
      ...filePaths.map((p) => `/api/file?path=${p.replace(/[^\x21-\x7e]/g, encodeURIComponent)}`),
      ...filePaths.map((p) => `/api/node?id=${encodeURIComponent(`file:${p}`)}`),
    ];
    for (const path of attempts) {
      const res = await get(ui.url, path);
      expect([400, 403, 404], `${path} -> ${res.status}`).toContain(res.status);
      for (const bytes of secretBytes) {
        expect(res.body.includes(bytes), `${path} served a file it must not`).toBe(false);
      }
    }
    traversalAttempts = attempts.length;
    // what is tracked is served
    const ok = await get(ui.url, '/api/file?path=data/raw.csv');
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toBe(CSV);
  });

  it('answers 1,000 concurrent requests correctly and stays responsive', async () => {
    const graph = JSON.parse((await get(ui.url, '/api/graph')).body.toString()) as {
      nodes: Array<{ id: string; kind: string }>;
    };
    const nodeIds = graph.nodes.map((n) => n.id);
    expect(nodeIds).toContain('stage:train');
    const model = readFileSync(join(repo, 'out', 'model.txt'));
    const index = await get(ui.url, '/');
    expect(index.status).toBe(200);

    type Check = (status: number, body: Buffer) => boolean;
    const kinds: Array<[string, () => string, Check]> = [
      ['page', () => '/', (s, b) => s === 200 && b.equals(index.body)],
      ['graph', () => '/api/graph', (s, b) => s === 200 && b.toString().includes('stage:train')],
      [
        'node details',
        () =>
          `/api/node?id=${encodeURIComponent(nodeIds[Math.floor(Math.random() * nodeIds.length)] ?? '')}`,
        (s, b) => s === 200 && b.toString().startsWith('{'),
      ],
      [
        'download csv',
        () => '/api/file?path=data/raw.csv',
        (s, b) => s === 200 && md5(b) === md5(CSV),
      ],
      [
        'download model',
        () => '/api/file?path=out/model.txt',
        (s, b) => s === 200 && b.equals(model),
      ],
      ['traversal', () => '/api/file?path=..%2F..%2Fetc%2Fpasswd', (s) => s === 403 || s === 404],
      ['untracked', () => '/api/file?path=notes.txt', (s) => s === 404 || s === 403],
    ];
    const TOTAL = 1000;
    const results: Array<{ kind: string; ok: boolean; ms: number; error?: string }> = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: TOTAL }, async (_, i) => {
        const picked = kinds[i % kinds.length];
        if (picked === undefined) throw new Error('no request kind');
        const [kind, path, check] = picked;
        const t0 = performance.now();
        try {
          const res = await fetch(new URL(path(), ui.url));
          const body = Buffer.from(await res.arrayBuffer());
          results.push({ kind, ok: check(res.status, body), ms: performance.now() - t0 });
        } catch (error) {
          results.push({ kind, ok: false, ms: performance.now() - t0, error: String(error) });
        }
      }),
    );
    const wall = performance.now() - started;
    const failures = results.filter((r) => !r.ok);
    expect(results).toHaveLength(TOTAL);
    expect(failures.slice(0, 5), `${failures.length} failed`).toEqual([]);

    // still responsive, and the process is alive
    const after = await get(ui.url, '/api/live');
    expect(after.status).toBe(200);
    expect((await get(ui.url, '/api/graph')).status).toBe(200);
    expect(ui.child.exitCode).toBeNull();

    const times = results.map((r) => r.ms).sort((a, b) => a - b);
    const pct = (p: number): number =>
      Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0);
    const perKind = kinds
      .map(([k]) => `${k} ${results.filter((r) => r.kind === k).length}`)
      .join(', ');
    recordReliability({
      id: '70-page-server',
      title: 'Page server',
      body: [
        '`sluice ui` on a two-stage pipeline (`test/reliability/pageLoad.test.ts`).',
        '',
        '- Binds 127.0.0.1 only: checked in `/proc/net/tcp`, and nothing answers on 127.0.0.2',
        "  or on the machine's other interfaces.",
        `- ${traversalAttempts} traversal and untracked-file requests (\`..\`, \`%2e%2e\`,`,
        '  `%252e%252e`, backslashes, NUL, absolute paths, `.git`/`.dvc` files, files in git',
        '  but not in the pipeline): all refused with 4xx, no forbidden bytes in any answer.',
        `- ${TOTAL} concurrent requests (${perKind}) from the test process with Node's fetch:`,
        `  ${TOTAL - failures.length} correct, ${failures.length} errors; wall time ${Math.round(wall)} ms,`,
        `  latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms (information only; no timing is asserted).`,
        '- Afterwards the server answered `/api/live` and `/api/graph` at once.',
      ].join('\n'),
    });
  }, 180_000);
});

let traversalAttempts = 0;
