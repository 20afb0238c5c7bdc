import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, git, makeRepo, sluiceOk, writeTree } from '../helpers/sandbox.js';

afterAll(() => cleanupSandboxes());

const CHROMIUM = '/usr/bin/chromium';

const DVC_YAML = `stages:
  train:
    cmd: echo
    plots:
    - acc.csv:
        cache: false
        x: epoch
        y: acc
        template: scatter
plots:
- loss.json:
    x: step
    y: [loss, val_loss]
    title: Loss
- confusion.csv:
    template: confusion
    x: actual
    y: predicted
`;

function lossJson(scale: number): string {
  return JSON.stringify(
    Array.from({ length: 8 }, (_, step) => ({
      step,
      loss: scale / (step + 1),
      val_loss: scale / (step + 0.5),
    })),
  );
}

describe('plots show / diff', () => {
  it('writes one offline HTML page that draws every plot', async () => {
    const root = makeRepo('sluice', {
      'dvc.yaml': DVC_YAML,
      'loss.json': lossJson(1),
      'acc.csv': 'epoch,acc\n1,0.5\n2,0.7\n3,0.8\n',
      'confusion.csv': 'actual,predicted\n0,0\n0,1\n1,1\n1,1\n2,0\n',
    });
    const r = sluiceOk(root, 'plots', 'show');
    const page = join(root, 'dvc_plots', 'index.html');
    expect(r.stdout.trim()).toBe(`file://${page}`);
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('vegaEmbed');

    const json = (
      JSON.parse(sluiceOk(root, 'plots', 'show', '--json').stdout) as {
        data: Record<
          string,
          Array<{ content: { mark?: unknown; encoding: Record<string, { field?: string }> } }>
        >;
      }
    ).data;
    expect(Object.keys(json).sort()).toEqual(['acc.csv', 'confusion.csv', 'loss.json']);
    expect(json['acc.csv']?.[0]?.content.mark).toEqual({ type: 'point', tooltip: true });
    // as DVC's confusion template: x on the horizontal axis, y on the vertical one
    expect(json['confusion.csv']?.[0]?.content.encoding.y?.field).toBe('predicted');

    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'plots');
    writeTree(root, { 'loss.json': lossJson(2) });
    sluiceOk(root, 'plots', 'diff', '-o', 'cmp');
    const diffPage = join(root, 'cmp', 'index.html');
    expect(existsSync(diffPage)).toBe(true);

    expect(existsSync(CHROMIUM)).toBe(true);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      for (const file of [page, diffPage]) {
        const context = await browser.newContext({ offline: true });
        const tab = await context.newPage();
        const errors: string[] = [];
        tab.on('pageerror', (e) => errors.push(e.message));
        await tab.route('**/*', (route) =>
          route.request().url().startsWith('file://') ? route.continue() : route.abort(),
        );
        await tab.goto(`file://${file}`);
        await tab.waitForFunction(
          "document.querySelectorAll('canvas, svg.marks').length >= 3",
          null,
          {
            timeout: 20_000,
          },
        );
        expect(errors).toEqual([]);
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });
});
