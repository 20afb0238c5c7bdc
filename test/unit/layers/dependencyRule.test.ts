import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../helpers/sandbox.js';

// The house plan (.dependency-cruiser.mjs) is only worth having if it fails on a broken plan:
// each case plants one kind of bad import in a scratch tree and runs the rule as `npm run lint` does.

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function cruise(files: Record<string, string>): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-layers-'));
  made.push(dir);
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', strict: true } }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const bin = join(projectRoot, 'node_modules', '.bin', 'depcruise');
  const config = join(projectRoot, '.dependency-cruiser.mjs');
  try {
    const roots = Object.keys(files).some((path) => path.startsWith('web/'))
      ? ['src', 'web/src']
      : ['src'];
    const output = execFileSync(bin, [...roots, '--config', config], {
      cwd: dir,
      encoding: 'utf8',
    });
    return { ok: true, output };
  } catch (error) {
    const failed = error as { stdout?: string };
    return { ok: false, output: failed.stdout ?? '' };
  }
}

describe('the dependency rule (.dependency-cruiser.mjs)', () => {
  it('passes a tree whose imports go down the layers', () => {
    const result = cruise({
      'src/core/7-metafiles/stage.ts': "import { a } from '../2-fs/a.js';\nexport const s = a;\n",
      'src/core/2-fs/a.ts': 'export const a = 1;\n',
      'src/cli/main.ts': "import { s } from '../core/7-metafiles/stage.js';\nexport const m = s;\n",
    });
    expect(result.output).toContain('no dependency violations');
    expect(result.ok).toBe(true);
  });

  it('fails each kind of bad import, naming its rule', () => {
    // One tree with one of each, so that the rule runs once (it takes seconds to start).
    const result = cruise({
      'src/core/2-fs/a.ts': "import { s } from '../7-metafiles/stage.js';\nexport const a = s;\n",
      'src/core/7-metafiles/stage.ts': 'export const s = 1;\n',
      'src/core/9-ops/b.ts': "import { c } from './c.js';\nexport const b = () => c;\n",
      'src/core/9-ops/c.ts': "import { b } from './b.js';\nexport const c = () => b;\n",
      'src/core/9-ops/d.ts': "import { m } from '../../cli/main.js';\nexport const d = m;\n",
      'src/core/8-revisions/e.ts': "import { api } from '../index.js';\nexport const e = api;\n",
      'src/core/index.ts': 'export const api = 1;\n',
      'src/cli/main.ts': 'export const m = 1;\n',
      'src/ui-server/server.ts': "import { m } from '../cli/main.js';\nexport const s = m;\n",
      'web/src/App.tsx': "import { a } from '../../src/core/2-fs/a.js';\nexport const x = a;\n",
    });
    expect(result.ok).toBe(false);
    for (const rule of [
      'layer-2-fs-imports-up',
      'no-cycles',
      'core-imports-an-app',
      'core-layers-import-the-api',
      'page-server-imports-the-cli',
      'page-imports-node-code',
    ]) {
      expect(result.output).toContain(rule);
    }
  });
});
