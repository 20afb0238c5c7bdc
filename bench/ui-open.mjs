// The pipeline page (issue "sluice ui"): a 1,000-node pipeline must be interactive within 2 s of
// opening. Measured in Debian chromium (playwright-core): from navigation until the graph is
// laid out and a search opens a node's details. Median of 3 page loads, server warmed first.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { chromium } from 'playwright-core';
import { Report, SLUICE_BIN, freshRepo, git, makeTempDir, median, removeDir } from './lib.mjs';

const REPS = 3;

function syntheticRepo(dir) {
  freshRepo(dir, 'sluice');
  const stages = ['stages:'];
  for (let c = 0; c < 200; c++) {
    const file = path.join(dir, 'code', `group${c % 20}`, `c${c}.py`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `# ${c}\n`);
  }
  for (let i = 0; i < 400; i++) {
    const deps = [`code/group${(i % 200) % 20}/c${i % 200}.py`];
    if (i % 8 !== 0) deps.push(`out/o${i - 1}.txt`);
    stages.push(`  s${i}:`, `    cmd: echo ${i} > out/o${i}.txt`, '    deps:');
    for (const d of deps) stages.push(`      - ${d}`);
    stages.push('    outs:', `      - out/o${i}.txt`);
  }
  writeFileSync(path.join(dir, 'dvc.yaml'), `${stages.join('\n')}\n`);
  git(['add', '-A'], { cwd: dir });
  git(['commit', '-q', '-m', 'synthetic'], { cwd: dir });
}

function startUi(cwd) {
  const child = spawn(process.execPath, [SLUICE_BIN, 'ui', '--port', '0'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d.toString();
      const m = /(http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`sluice ui exited with ${code}: ${out}`)));
  });
}

async function main() {
  const report = new Report('ui-open', 'the pipeline page with 1,000 nodes');
  report.params = { nodes: 1000, reps: REPS };
  const dir = makeTempDir('ui');
  let ui;
  let browser;
  try {
    syntheticRepo(dir);
    ui = await startUi(dir);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    await (await fetch(`${ui.url}api/graph`)).json();
    const runs = [];
    for (let i = 0; i < REPS; i++) {
      const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
      const started = Date.now();
      await page.goto(ui.url);
      await page.waitForSelector('.app[data-ready="1"]', { timeout: 60_000 });
      await page.fill('[data-testid="search"]', 's123');
      await page.press('[data-testid="search"]', 'Enter');
      await page.waitForSelector('[data-testid="details"][data-node="stage:s123"]', {
        timeout: 60_000,
      });
      runs.push((Date.now() - started) / 1000);
      await page.close();
    }
    report.absolute({
      measure: 'open a 1,000-node pipeline until a search opens details',
      unit: 's',
      value: median(runs),
      limit: 2,
    });
  } catch (err) {
    report.error('ui open', err);
  } finally {
    await browser?.close();
    ui?.stop();
    removeDir(dir);
  }
  process.exitCode = report.finish();
}

await main();
