import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  GraphPayload,
  MetricsPayload,
  NodeDetails,
  RevisionsPayload,
} from '../../src/ui-server/types.js';
import { makeDigitsRepo, startUi, type RunningUi } from '../browser/uiHelpers.js';
import { cleanupSandboxes, sluiceOk } from '../helpers/sandbox.js';

/** Raw GET, so odd paths and Host headers reach the server unchanged. */
function get(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function json<T>(url: string, path: string): Promise<T> {
  const res = await get(url, path);
  expect(res.status, res.body.toString()).toBe(200);
  return JSON.parse(res.body.toString()) as T;
}

describe('sluice ui: the JSON API', () => {
  let repo: string;
  let ui: RunningUi;

  beforeAll(async () => {
    repo = makeDigitsRepo();
    ui = await startUi(repo);
  });
  afterAll(async () => {
    await ui?.stop();
    cleanupSandboxes();
  });

  it('binds to loopback on a free port and prints the address', () => {
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the built page with every asset local', async () => {
    const res = await get(ui.url, '/');
    expect(res.status).toBe(200);
    const html = res.body.toString();
    expect(html).toContain('<div id="root">');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('returns the file/stage graph with kinds, hashes and metric values', async () => {
    const g = await json<GraphPayload>(ui.url, '/api/graph');
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    expect(byId.get('stage:train')?.kind).toBe('stage');
    expect(byId.get('stage:train')?.cmd).toBe('node code/train_model.mjs');
    expect(byId.get('stage:featurize.dvc')?.kind).toBe('stage');
    expect(byId.get('file:data/train_data.csv')?.kind).toBe('data');
    expect(byId.get('file:data/train_data.csv')?.location).toBe('cache');
    expect(byId.get('file:code/train_model.mjs')?.kind).toBe('code');
    expect(byId.get('file:code/train_model.mjs')?.location).toBe('git');
    expect(byId.get('file:params.yaml')?.flavor).toBe('params');
    const evalNode = byId.get('file:metrics/eval.json');
    expect(evalNode?.kind).toBe('metric');
    const accuracy = JSON.parse(readFileSync(join(repo, 'metrics/eval.json'), 'utf8')) as {
      accuracy: number;
    };
    expect(evalNode?.metrics?.accuracy).toBe(accuracy.accuracy);
    const lock = readFileSync(join(repo, 'dvc.lock'), 'utf8');
    expect(lock).toContain(byId.get('file:data/model.pkl')?.hash ?? 'missing');
    expect(
      g.edges.some((e) => e.source === 'file:data/model.pkl' && e.target === 'stage:evaluate'),
    ).toBe(true);
    expect(
      g.edges.some(
        (e) =>
          e.source === 'stage:featurize.dvc' && e.target === 'file:data/processed_train_data.npy',
      ),
    ).toBe(true);
    expect(g.hasStatus).toBe(true);
    expect(byId.get('stage:train')?.status).toBe('ok');
  });

  it('reports status like `sluice status`, and paints it on the graph', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = join(repo, 'code/eval.mjs');
    const before = readFileSync(path);
    writeFileSync(path, Buffer.concat([before, Buffer.from('\n// changed\n')]));
    try {
      const status = await json<Record<string, unknown>>(ui.url, '/api/status');
      const cli = JSON.parse(sluiceOk(repo, 'status', '--json').stdout) as Record<string, unknown>;
      expect(status).toEqual(cli);
      const g = await json<GraphPayload>(ui.url, '/api/graph');
      const byId = new Map(g.nodes.map((n) => [n.id, n]));
      expect(byId.get('stage:evaluate')?.status).toBe('changed');
      expect(byId.get('file:code/eval.mjs')?.status).toBe('modified');
      expect(byId.get('stage:train')?.status).toBe('ok');
    } finally {
      writeFileSync(path, before);
    }
  });

  it('lists revisions and shows the graph and metrics at a tag', async () => {
    const revs = await json<RevisionsPayload>(ui.url, '/api/revisions');
    expect(revs.tags).toEqual(['v1', 'v2']);
    expect(revs.branches).toContain('main');
    expect(revs.commits.length).toBeGreaterThanOrEqual(3);
    const v1 = await json<GraphPayload>(ui.url, '/api/graph?rev=v1');
    const v2 = await json<GraphPayload>(ui.url, '/api/graph?rev=v2');
    const acc = (g: GraphPayload): unknown =>
      g.nodes.find((n) => n.id === 'file:metrics/eval.json')?.metrics?.accuracy;
    expect(acc(v1)).not.toEqual(acc(v2));
    expect(v1.hasStatus).toBe(false);
    const m = await json<MetricsPayload>(ui.url, '/api/metrics?revs=workspace,v1,v2');
    expect(m.files['metrics/eval.json']?.accuracy?.v1).toBe(acc(v1));
    expect(m.files['metrics/eval.json']?.accuracy?.v2).toBe(acc(v2));
  });

  it('gives node details with a download that returns the exact bytes', async () => {
    const d = await json<NodeDetails>(
      ui.url,
      `/api/node?id=${encodeURIComponent('file:data/test_data.csv')}`,
    );
    expect(d.node.hash).toBe(
      createHash('md5')
        .update(readFileSync(join(repo, 'data/test_data.csv')))
        .digest('hex'),
    );
    expect(d.download).toBeDefined();
    expect(d.preview?.type).toBe('text');
    expect(d.downstream).toEqual(['stage:featurize.dvc']);
    const res = await get(ui.url, `/${d.download ?? ''}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment/);
    expect(res.body.equals(readFileSync(join(repo, 'data/test_data.csv')))).toBe(true);
    // a binary output at an older revision comes from the cache by its hash at that revision
    const old = await json<GraphPayload>(ui.url, '/api/graph?rev=v1');
    const model = old.nodes.find((n) => n.id === 'file:data/model.pkl');
    const bytes = await get(ui.url, '/api/file?path=data/model.pkl&rev=v1');
    expect(bytes.status).toBe(200);
    expect(createHash('md5').update(bytes.body).digest('hex')).toBe(model?.hash);
  });

  it('rejects path traversal, untracked files and odd hosts', async () => {
    for (const p of [
      '../../etc/passwd',
      '/etc/passwd',
      'data/../.dvc/config',
      '.dvc/config',
      'data\\..\\x',
      'a/./b',
    ]) {
      const res = await get(ui.url, `/api/file?path=${encodeURIComponent(p)}`);
      expect([403, 404], p).toContain(res.status);
      expect(res.body.toString()).not.toContain('root:');
    }
    // present in the workspace, but not tracked by the pipeline
    const untracked = await get(ui.url, '/api/file?path=README.md');
    expect(untracked.status).toBe(404);
    const gitignore = await get(ui.url, '/api/file?path=data/.gitignore');
    expect(gitignore.status).toBe(404);
    const staticTraversal = await get(ui.url, '/../../../../etc/passwd');
    expect([403, 404]).toContain(staticTraversal.status);
    const encoded = await get(ui.url, '/assets/..%2f..%2f..%2fpackage.json');
    expect([403, 404]).toContain(encoded.status);
    // DNS rebinding: another host name must not read the API (more in ui-safety.test.ts)
    const rebinding = await get(ui.url, '/api/graph', { Host: 'evil.example:80' });
    expect(rebinding.status).toBe(403);
  });

  it('is read-only and has no secrets in its answers', async () => {
    const u = new URL(ui.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: u.hostname, port: u.port, path: '/api/graph', method: 'POST' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
  });

  it('reports live repro state', async () => {
    const live = await json<{ running: boolean; stages: Record<string, string> }>(
      ui.url,
      '/api/live',
    );
    expect(live.running).toBe(false);
    expect(Object.keys(live.stages)).toContain('train');
  });
});
