import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/sandbox.js';

/**
 * The real reporter in a real vitest run of a small fixture suite: one file whose tests pass
 * and record section `a`, one whose first test fails and whose last records section `b`
 * (as secrets.test.ts could record "none found" after an earlier failure).
 */
const fixture = mkdtempSync(join(projectRoot, 'test-artifacts', 'reporter-fixture-'));
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

const helpers = join(projectRoot, 'test', 'helpers');
const OLD_DOC = [
  '# Reliability',
  '',
  '<!-- section:a -->',
  '## A',
  '',
  'old figures of a',
  '<!-- /section -->',
  '',
  '<!-- section:b -->',
  '## B',
  '',
  'old figures of b',
  '<!-- /section -->',
  '',
].join('\n');

function writeFixture(): void {
  mkdirSync(fixture, { recursive: true });
  writeFileSync(
    join(fixture, 'vitest.config.ts'),
    `import { defineConfig } from 'vitest/config';
import { ReliabilityReporter } from '${helpers}/reliabilityReporter.js';
export default defineConfig({
  test: { include: ['*.fx.test.ts'], pool: 'forks', reporters: ['default', new ReliabilityReporter()] },
});
`,
  );
  const record = (id: string): string =>
    `recordReliability({ id: '${id}', title: '${id.toUpperCase()}', body: 'new figures of ${id}' });`;
  writeFileSync(
    join(fixture, 'passes.fx.test.ts'),
    `import { expect, it } from 'vitest';
import { recordReliability } from '${helpers}/reliabilityReport.js';
it('first', () => { expect(1).toBe(1); });
it('records a', () => { ${record('a')} });
`,
  );
  writeFileSync(
    join(fixture, 'fails.fx.test.ts'),
    `import { expect, it } from 'vitest';
import { recordReliability } from '${helpers}/reliabilityReport.js';
it('finds a problem', () => { expect('a secret').toBe('none'); });
it('records b anyway', () => { ${record('b')} });
`,
  );
}

function runFixture(...args: string[]): { code: number; stderr: string; doc: string } {
  const doc = join(fixture, 'reliability.md');
  const results = join(fixture, 'results');
  writeFileSync(doc, OLD_DOC);
  rmSync(results, { recursive: true, force: true });
  const run = spawnSync(
    process.execPath,
    [join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', fixture, ...args],
    {
      cwd: fixture,
      encoding: 'utf8',
      env: { ...process.env, SLUICE_RELIABILITY_DOC: doc, SLUICE_RELIABILITY_RESULTS: results },
    },
  );
  return { code: run.status ?? -1, stderr: run.stderr, doc: readFileSync(doc, 'utf8') };
}

describe('docs/reliability.md is written only from passing tests', () => {
  writeFixture();

  it('a file with a failed test keeps its old section; a passing file gets its new one', () => {
    const run = runFixture();
    expect(run.code).toBe(1);
    expect(run.doc).toContain('new figures of a');
    expect(run.doc).not.toContain('old figures of a');
    expect(run.doc).toContain('old figures of b');
    expect(run.doc).not.toContain('new figures of b');
    expect(run.stderr).toContain('not rewriting b');
  }, 120_000);

  it('a file some of whose tests were filtered out keeps its old section', () => {
    const run = runFixture('-t', 'records');
    expect(run.doc).toContain('old figures of a');
    expect(run.doc).toContain('old figures of b');
    expect(run.stderr).toContain('not rewriting a, b');
  }, 120_000);
});
