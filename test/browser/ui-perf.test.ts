import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchBrowser, startUi, type RunningUi } from './uiHelpers.js';
import { cleanupSandboxes, git, makeRepo, writeTree } from '../helpers/sandbox.js';

/**
 * A synthetic 1,000-node pipeline: 400 stages in chains of 8, each with its own output and a
 * shared code file from 200. The page lays it out and a search opens a node's details. (The 2 s
 * budget for this is measured by bench/ui-open.mjs, not asserted here: timings belong in
 * benchmarks, which run on a quiet machine.)
 */
function syntheticRepo(): string {
  const dir = makeRepo('sluice');
  const files: Record<string, string> = {};
  const stages: string[] = ['stages:'];
  for (let c = 0; c < 200; c++) files[`code/group${c % 20}/c${c}.py`] = `# ${c}\n`;
  for (let i = 0; i < 400; i++) {
    const deps = [`code/group${(i % 200) % 20}/c${i % 200}.py`];
    if (i % 8 !== 0) deps.push(`out/o${i - 1}.txt`);
    stages.push(`  s${i}:`, `    cmd: echo ${i} > out/o${i}.txt`, '    deps:');
    for (const d of deps) stages.push(`      - ${d}`);
    stages.push('    outs:', `      - out/o${i}.txt`);
  }
  files['dvc.yaml'] = `${stages.join('\n')}\n`;
  writeTree(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'synthetic');
  return dir;
}

describe('sluice ui with 1,000 nodes', () => {
  let ui: RunningUi;
  let browser: Browser;

  beforeAll(async () => {
    const repo = syntheticRepo();
    [ui, browser] = await Promise.all([startUi(repo), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    cleanupSandboxes();
  });

  it('lays out all 1,000 nodes and a search opens details', async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    // warm the server's first graph so the measure is the page, as a user reloading sees it
    await (await fetch(`${ui.url}api/graph`)).json();
    const started = Date.now();
    await page.goto(ui.url);
    await page.waitForSelector('.app[data-ready="1"]', { timeout: 20_000 });
    const nodes = Number(await page.getAttribute('.app', 'data-nodes'));
    expect(nodes).toBe(1000);
    await page.fill('[data-testid="search"]', 's123');
    await page.press('[data-testid="search"]', 'Enter');
    await page.waitForSelector('[data-testid="details"][data-node="stage:s123"]', {
      timeout: 5_000,
    });
    const elapsed = Date.now() - started;
    await page.screenshot({ path: join(ARTIFACTS, 'ui-1000-nodes.png') });
    writeFileSync(join(ARTIFACTS, 'ui-1000-nodes.txt'), `interactive after ${elapsed} ms\n`);
    expect(await page.getAttribute('[data-testid="details"]', 'data-node')).toBe('stage:s123');
    await page.close();
  });
});
