import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeDetails } from '../../src/ui-server/types.js';
import { startUi, type RunningUi } from '../browser/uiHelpers.js';
import { cleanupSandboxes, git, sluiceOk, tempDir, writeTree } from '../helpers/sandbox.js';

interface Answer {
  status: number;
  body: Buffer;
  text: string;
}

/** A raw request to the server, so Host, Origin and odd paths reach it unchanged. */
function call(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, body, text: body.toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The token the server puts in the page it serves. */
async function pageToken(url: string): Promise<string> {
  const page = await call(url, '/');
  expect(page.status).toBe(200);
  const m = /<meta name="sluice-token" content="([^"]+)"/.exec(page.text);
  expect(m, 'the page carries a token').not.toBeNull();
  return m?.[1] ?? '';
}

/** Every file under a folder (the cache), relative. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

describe('sluice ui: only the names a browser here uses reach the server', () => {
  let ui: RunningUi;
  let port: number;

  beforeAll(async () => {
    const repo = tempDir('ui-host-');
    git(repo, 'init', '-q', '-b', 'main');
    sluiceOk(repo, 'init');
    ui = await startUi(repo);
    port = Number(new URL(ui.url).port);
  });
  afterAll(async () => {
    await ui?.stop();
    cleanupSandboxes();
  });

  it('refuses a rebinding name that starts like a loopback address', async () => {
    for (const host of [
      `127.attacker.example:${port}`,
      `127.0.0.1.attacker.example:${port}`,
      `localhost.attacker.example:${port}`,
      `evil.example:${port}`,
    ]) {
      const res = await call(ui.url, '/api/graph', { headers: { Host: host } });
      expect(res.status, host).toBe(403);
      expect(res.text, host).toContain('host not allowed');
      expect(res.text).not.toContain('nodes');
      const page = await call(ui.url, '/', { headers: { Host: host } });
      expect(page.status, host).toBe(403);
    }
  });

  it('answers 127.0.0.1, [::1] and localhost with its own port only', async () => {
    for (const name of ['127.0.0.1', '[::1]', 'localhost', 'LOCALHOST']) {
      const ok = await call(ui.url, '/api/live', { headers: { Host: `${name}:${port}` } });
      expect(ok.status, name).toBe(200);
      for (const host of [`${name}:${port + 1}`, `${name}:80`, name]) {
        const res = await call(ui.url, '/api/live', { headers: { Host: host } });
        expect(res.status, host).toBe(403);
      }
    }
    // other loopback addresses are not the server's name
    const other = await call(ui.url, '/api/live', { headers: { Host: `127.0.0.2:${port}` } });
    expect(other.status).toBe(403);
  });
});

describe('sluice ui: files outside the repository and private files are never served', () => {
  let repo: string;
  let ui: RunningUi;
  const SECRET = 'OUTSIDE-SECRET-4711';
  const LOCAL = 'CONFIG-LOCAL-SECRET-4711';
  const TMP = 'DVC-TMP-SECRET-4711';

  beforeAll(async () => {
    // <base>/outside beside <base>/repo
    const base = tempDir('ui-safety-');
    const outside = join(base, 'outside');
    repo = join(base, 'repo');
    mkdirSync(outside);
    mkdirSync(repo);
    writeTree(outside, { 'secret.txt': `${SECRET}\n` });
    git(repo, 'init', '-q', '-b', 'main');
    sluiceOk(repo, 'init');
    writeTree(repo, {
      '.dvc/config.local': `# ${LOCAL}\n`,
      '.dvc/tmp/notes.txt': `${TMP}\n`,
      'params.txt': 'lr: 0.1\n',
    });
    symlinkSync('../outside', join(repo, 'link'));
    symlinkSync(join(outside, 'secret.txt'), join(repo, 'abs-link.txt'));
    symlinkSync('.git/config', join(repo, 'git-config-link.txt'));
    const deps: Array<[string, string]> = [
      ['link/secret.txt', `${SECRET}\n`],
      ['abs-link.txt', `${SECRET}\n`],
      ['git-config-link.txt', ''],
      ['.dvc/config.local', `# ${LOCAL}\n`],
      ['.dvc/tmp/notes.txt', `${TMP}\n`],
      ['.git/config', ''],
      ['params.txt', 'lr: 0.1\n'],
    ];
    writeTree(repo, {
      'dvc.yaml': [
        'stages:',
        '  leak:',
        '    cmd: cat params.txt > out.txt',
        '    deps:',
        ...deps.map(([p]) => `    - ${p}`),
        '    outs:',
        '    - out.txt',
        '',
      ].join('\n'),
      // as `repro` would record them: every dependency with its hash
      'dvc.lock': [
        "schema: '2.0'",
        'stages:',
        '  leak:',
        '    cmd: cat params.txt > out.txt',
        '    deps:',
        ...deps.flatMap(([p, text]) => [
          `    - path: ${p}`,
          '      hash: md5',
          `      md5: ${md5(text)}`,
          `      size: ${Buffer.byteLength(text)}`,
        ]),
        '',
      ].join('\n'),
    });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'a pipeline with links');
    ui = await startUi(repo);
  });
  afterAll(async () => {
    await ui?.stop();
    cleanupSandboxes();
  });

  const refused = [
    'link/secret.txt',
    'abs-link.txt',
    'git-config-link.txt',
    '.dvc/config.local',
    '.dvc/tmp/notes.txt',
    '.git/config',
  ];

  const noSecret = (res: Answer, what: string): void => {
    for (const marker of [SECRET, LOCAL, TMP, '[core]', 'repositoryformatversion']) {
      expect(res.text, `${what}: ${res.text.slice(0, 200)}`).not.toContain(marker);
    }
  };

  it('serves an ordinary dependency (the checks do not refuse everything)', async () => {
    const res = await call(ui.url, '/api/file?path=params.txt');
    expect(res.status).toBe(200);
    expect(res.text).toBe('lr: 0.1\n');
    const d = JSON.parse(
      (await call(ui.url, `/api/node?id=${encodeURIComponent('file:params.txt')}`)).text,
    ) as NodeDetails;
    expect(d.preview?.text).toBe('lr: 0.1\n');
  });

  it('shows every refused path on the graph (they are listed as dependencies)', async () => {
    const g = JSON.parse((await call(ui.url, '/api/graph')).text) as { nodes: { id: string }[] };
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const p of refused) expect(ids, p).toContain(`file:${p}`);
  });

  for (const rev of ['workspace', 'HEAD']) {
    it(`serves no outside, linked or private file through any endpoint (${rev})`, async () => {
      for (const p of refused) {
        const q = `path=${encodeURIComponent(p)}&rev=${rev}`;
        for (const path of [`/api/file?${q}`, `/api/file?${q}&inline=1`]) {
          const res = await call(ui.url, path);
          expect([403, 404], `${path}: ${res.text}`).toContain(res.status);
          noSecret(res, path);
        }
        const node = await call(
          ui.url,
          `/api/node?id=${encodeURIComponent(`file:${p}`)}&rev=${rev}`,
        );
        expect(node.status, p).toBe(200);
        noSecret(node, `node ${p}`);
        const d = JSON.parse(node.text) as NodeDetails;
        expect(d.download, p).toBeUndefined();
        expect(d.preview?.text, p).toBeUndefined();
      }
    });
  }

  it('serves nothing under .git/ nor the local config, listed or not', async () => {
    for (const p of ['.git/config', '.git/HEAD', '.dvc/config.local', '.DVC/config.local']) {
      const res = await call(ui.url, `/api/file?path=${encodeURIComponent(p)}`);
      expect([403, 404], p).toContain(res.status);
      noSecret(res, p);
    }
  });
});

describe('sluice ui: a GET never transfers data; a POST needs the page token', () => {
  let repo: string;
  let ui: RunningUi;
  let cache: string;

  beforeAll(async () => {
    repo = tempDir('ui-remote-');
    git(repo, 'init', '-q', '-b', 'main');
    sluiceOk(repo, 'init');
    writeTree(repo, { 'model.txt': 'weights v1\n' });
    sluiceOk(repo, 'remote', 'add', '-d', 'store', tempDir('ui-store-'));
    sluiceOk(repo, 'add', 'model.txt');
    sluiceOk(repo, 'push');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'model');
    cache = join(repo, '.dvc', 'cache');
    rmSync(cache, { recursive: true, force: true });
    ui = await startUi(repo);
  });
  afterAll(async () => {
    await ui?.stop();
    cleanupSandboxes();
  });

  it('leaves the cache untouched after a GET of every endpoint', async () => {
    const id = encodeURIComponent('file:model.txt');
    const paths = [
      '/',
      '/api/revisions',
      '/api/status',
      '/api/live',
      '/api/metrics?revs=workspace,HEAD',
    ];
    for (const rev of ['workspace', 'HEAD']) {
      paths.push(
        `/api/graph?rev=${rev}`,
        `/api/node?id=${id}&rev=${rev}`,
        `/api/file?path=model.txt&rev=${rev}`,
        `/api/file?path=model.txt&rev=${rev}&inline=1`,
        `/api/fetch?path=model.txt&rev=${rev}`,
      );
    }
    for (const path of paths) {
      for (const method of ['GET', 'HEAD']) {
        const res = await call(ui.url, path, { method });
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
        expect(filesUnder(cache), `${method} ${path}`).toEqual([]);
      }
    }
    const file = await call(ui.url, '/api/file?path=model.txt');
    expect(file.status).toBe(404);
    expect(file.text).toContain("only on remote 'store'");
    const d = JSON.parse((await call(ui.url, `/api/node?id=${id}`)).text) as NodeDetails;
    expect(d.fetchFrom).toBe('store');
    expect(d.download).toBeUndefined();
    expect((await call(ui.url, '/api/fetch')).status).toBe(405);
  });

  it('refuses a POST without the token, with a wrong one, or from another origin', async () => {
    const token = await pageToken(ui.url);
    expect(token.length).toBeGreaterThanOrEqual(32);
    const body = JSON.stringify({ path: 'model.txt', rev: 'workspace' });
    const json = { 'Content-Type': 'application/json' };
    const host = new URL(ui.url).host;
    for (const headers of [
      { ...json },
      { ...json, 'X-Sluice-Token': '' },
      { ...json, 'X-Sluice-Token': `${token.slice(0, -1)}x` },
      { ...json, 'X-Sluice-Token': token.slice(1) },
      { ...json, 'X-Sluice-Token': token, Origin: 'http://evil.example' },
      { ...json, 'X-Sluice-Token': token, Origin: 'null' },
      {
        ...json,
        'X-Sluice-Token': token,
        Origin: `http://${host}`,
        'Sec-Fetch-Site': 'cross-site',
      },
    ]) {
      const res = await call(ui.url, '/api/fetch', { method: 'POST', headers, body });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(filesUnder(cache)).toEqual([]);
    }
    // the right token on a rebinding name is still refused
    const rebound = await call(ui.url, '/api/fetch', {
      method: 'POST',
      headers: {
        ...json,
        'X-Sluice-Token': token,
        Host: `127.attacker.example:${new URL(ui.url).port}`,
      },
      body,
    });
    expect(rebound.status).toBe(403);
    expect(filesUnder(cache)).toEqual([]);
  });

  it('fetches the object with the token, after which a GET serves it', async () => {
    const token = await pageToken(ui.url);
    const res = await call(ui.url, '/api/fetch', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Sluice-Token': token,
        Origin: `http://${new URL(ui.url).host}`,
      },
      body: JSON.stringify({ path: 'model.txt', rev: 'workspace' }),
    });
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ fetched: true });
    const oid = md5('weights v1\n');
    expect(filesUnder(cache)).toEqual([join('files', 'md5', oid.slice(0, 2), oid.slice(2))]);
    const file = await call(ui.url, '/api/file?path=model.txt&rev=HEAD');
    expect(file.status).toBe(200);
    expect(file.text).toBe('weights v1\n');
    const d = JSON.parse(
      (await call(ui.url, `/api/node?id=${encodeURIComponent('file:model.txt')}`)).text,
    ) as NodeDetails;
    expect(d.fetchFrom).toBeUndefined();
    expect(d.preview?.text).toBe('weights v1\n');
  });
});
