import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser, makeDigitsRepo, startUi, type RunningUi } from './uiHelpers.js';
import {
  cleanupSandboxes,
  git,
  projectRoot,
  sluiceBin,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

/** The pipeline page in real headless Chromium, on the tutorial pipeline. */
describe('sluice ui in a browser', () => {
  const suiteStarted = Date.now();
  let repo: string;
  let ui: RunningUi;
  let browser: Browser;
  let page: Page;

  const ready = async (rev = 'workspace'): Promise<void> => {
    await page.waitForSelector(`.app[data-ready="1"][data-rev="${rev}"]`, { timeout: 15_000 });
  };
  const shot = (name: string): Promise<Buffer> =>
    page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`) });

  beforeAll(async () => {
    repo = makeDigitsRepo();
    [ui, browser] = await Promise.all([startUi(repo), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1500, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(ui.url);
    await ready();
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    cleanupSandboxes();
  });

  it('draws every kind of node in its colour, with a legend', async () => {
    const colour = (id: string): Promise<string> =>
      page
        .evaluate(
          `getComputedStyle(document.querySelector('[data-testid="node:${id}"]')).backgroundColor`,
        )
        .then(String);
    expect(await colour('file:data/train_data.csv')).toBe('rgb(219, 234, 254)'); // data: blue
    expect(await colour('stage:train')).toBe('rgb(229, 231, 235)'); // stage: gray
    expect(await colour('stage:featurize.dvc')).toBe('rgb(229, 231, 235)');
    expect(await colour('file:code/train_model.mjs')).toBe('rgb(220, 252, 231)'); // code: green
    expect(await colour('file:metrics/eval.json')).toBe('rgb(237, 233, 254)'); // metric: purple
    const kinds = await page.evaluate<string[]>(
      `Array.from(document.querySelectorAll('[data-testid^="node:"]')).map((e) => e.getAttribute('data-kind'))`,
    );
    expect(new Set(kinds)).toEqual(new Set(['data', 'stage', 'code', 'metric']));
    expect(await page.textContent('[data-testid="legend"]')).toContain('Metric file');
    expect(await page.textContent('[data-testid="node:file:metrics/eval.json"]')).toContain(
      'accuracy',
    );
    await shot('graph');
    copyFileSync(join(ARTIFACTS, 'ui-graph.png'), join(ARTIFACTS, 'ui-readme.png'));
  });

  it('opens details with the right hash on click', async () => {
    await page.click('[data-testid="node:file:data/model.pkl"]');
    await page.waitForSelector('[data-testid="details"][data-node="file:data/model.pkl"]');
    const lock = readFileSync(join(repo, 'dvc.lock'), 'utf8');
    const hash = (await page.textContent('[data-testid="details-hash"]'))?.trim() ?? '';
    expect(hash).toMatch(/^[0-9a-f]{32}$/);
    expect(lock).toContain(`md5: ${hash}`);
    expect(await page.textContent('[data-testid="details-location"]')).toContain('local cache');
    await shot('details');
    await page.click('[data-testid="node:stage:train"]');
    expect(await page.textContent('[data-testid="details-cmd"]')).toBe('node code/train_model.mjs');
  });

  it('downloads the exact bytes of a cached file', async () => {
    await page.click('[data-testid="node:file:data/test_data.csv"]');
    await page.waitForSelector('[data-testid="download"]');
    expect(await page.textContent('[data-testid="preview"]')).toContain(',');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="download"]'),
    ]);
    const saved = join(tempDir(), 'download.csv');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(readFileSync(join(repo, 'data/test_data.csv')))).toBe(true);
  });

  it('switching the revision changes the metric value on the graph', async () => {
    const value = (): Promise<string | null> =>
      page.textContent('[data-testid="node:file:metrics/eval.json"] [data-metric="accuracy"] .mv');
    const now = await value();
    await page.selectOption('[data-testid="rev-select"]', 'v1');
    await ready('v1');
    const atV1 = await value();
    expect(atV1).not.toBe(now);
    const v1 = JSON.parse(sluiceOk(repo, 'metrics', 'show', '--json', '-a', '-T').stdout) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(v1)).toContain(String(atV1).slice(0, 5));
    await page.click('[data-testid="toggle-metrics"]');
    await page.waitForSelector('[data-testid="metrics-table"] td');
    expect(await page.textContent('[data-testid="metrics-table"]')).toContain('accuracy');
    await shot('revision-v1');
    await page.click('[data-testid="toggle-metrics"]');
    await page.selectOption('[data-testid="rev-select"]', 'workspace');
    await ready();
  });

  it('searches and highlights a node and its lineage', async () => {
    await page.fill('[data-testid="search"]', 'model.pkl');
    const dim = await page.$$eval('[data-testid^="node:"].dim', (els) => els.length);
    expect(dim).toBeGreaterThan(5);
    await page.fill('[data-testid="search"]', '');
    await page.click('[data-testid="node:stage:train"]');
    expect(
      await page.getAttribute('[data-testid="node:file:data/processed_train_data.npy"]', 'class'),
    ).toContain('hl-up');
    expect(
      await page.getAttribute('[data-testid="node:file:metrics/eval.json"]', 'class'),
    ).toContain('hl-down');
  });

  it('exports the view as SVG', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid="export-svg"]'),
    ]);
    const saved = join(tempDir(), 'graph.svg');
    await download.saveAs(saved);
    const svg = readFileSync(saved, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('model.pkl');
    expect(svg).toContain('#dbeafe');
  });

  it('turns stage states live while `sluice repro` runs', async () => {
    sluiceOk(
      repo,
      'stage',
      'add',
      '-n',
      'slow',
      '-d',
      'metrics/eval.json',
      '-o',
      'slow.txt',
      'sleep 1.5 && echo done > slow.txt',
    );
    await page.reload();
    await ready();
    const child = spawn(process.execPath, [sluiceBin, 'repro', 'slow'], {
      cwd: repo,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await page.waitForSelector('[data-testid="node:stage:slow"][data-live="running"]', {
      timeout: 15_000,
    });
    await shot('live-running');
    await page.waitForSelector('[data-testid="node:stage:slow"][data-live="done"]', {
      timeout: 15_000,
    });
    expect(await exited).toBe(0);
  });

  it('`sluice dag --html` writes the same view as one self-contained file', async () => {
    const out = join(tempDir(), 'pipeline.html');
    sluiceOk(repo, 'dag', '--html', out);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
    // the server's POST token belongs to one run of `sluice ui`, never to a file
    expect(html).not.toContain('<meta name="sluice-token"');
    const offline = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    // no network at all: everything must be inline
    await offline.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
    await offline.goto(`file://${out}`);
    await offline.waitForSelector('.app[data-ready="1"]', { timeout: 15_000 });
    expect(await offline.$$eval('[data-testid^="node:"]', (els) => els.length)).toBeGreaterThan(10);
    await offline.click('[data-testid="node:file:data/model.pkl"]');
    expect((await offline.textContent('[data-testid="details-hash"]'))?.trim()).toMatch(
      /^[0-9a-f]{32}$/,
    );
    await offline.screenshot({ path: join(ARTIFACTS, 'ui-static-html.png') });
    await offline.close();
  });

  it('the README shows a screenshot of this page, at the size this run takes it', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const image = /!\[[^\]]*\]\((docs\/images\/[^)\s]+\.png)\)/.exec(readme)?.[1];
    expect(image).toBe('docs/images/ui.png');
    /** Width and height from a PNG's IHDR chunk, after checking the signature. */
    const pngSize = (file: string): [number, number] => {
      const bytes = readFileSync(file);
      expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
      return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
    };
    // ui-readme.png is this run's shot of the graph (the first test): the page drew at 1500x900.
    const shotFile = join(ARTIFACTS, 'ui-readme.png');
    expect(statSync(shotFile).mtimeMs).toBeGreaterThanOrEqual(suiteStarted - 1000);
    const shotNow = pngSize(shotFile);
    expect(shotNow).toEqual([1500, 900]);
    expect(pngSize(join(projectRoot, image ?? ''))).toEqual(shotNow);
  });
});

/** A file only the remote has: opening it transfers nothing; the Fetch button (a POST) does. */
describe('sluice ui in a browser: a file only a remote has', () => {
  let repo: string;
  let ui: RunningUi;
  let browser: Browser;

  beforeAll(async () => {
    repo = tempDir('ui-page-remote-');
    git(repo, 'init', '-q', '-b', 'main');
    sluiceOk(repo, 'init');
    writeTree(repo, { 'notes.txt': 'kept on the remote\n' });
    sluiceOk(repo, 'remote', 'add', '-d', 'store', tempDir('ui-page-store-'));
    sluiceOk(repo, 'add', 'notes.txt');
    sluiceOk(repo, 'push');
    rmSync(join(repo, '.dvc', 'cache'), { recursive: true, force: true });
    [ui, browser] = await Promise.all([startUi(repo), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    cleanupSandboxes();
  });

  it('fetches on the button, with the page token, then previews the file', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(ui.url);
    await page.waitForSelector('.app[data-ready="1"]', { timeout: 15_000 });
    await page.click('[data-testid="node:file:notes.txt"]');
    await page.waitForSelector('[data-testid="fetch"]');
    expect(await page.textContent('[data-testid="fetch"]')).toContain('store');
    expect(existsSync(join(repo, '.dvc', 'cache'))).toBe(false);
    await page.click('[data-testid="fetch"]');
    await page.waitForSelector('[data-testid="download"]', { timeout: 15_000 });
    expect(await page.textContent('[data-testid="preview"]')).toContain('kept on the remote');
    expect(await page.textContent('[data-testid="details-location"]')).toContain('local cache');
    await page.close();
  });
});
