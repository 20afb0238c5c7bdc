import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, projectRoot, tempDir } from '../helpers/sandbox.js';

const run = promisify(execFile);

/**
 * The package as a user gets it: `npm pack` of the built project, installed into a scratch
 * project, then imported by a script (`import … from 'sluice'`) and type-checked from a `.ts` file.
 */

/** Drives the installed package on a new git repository; prints what each call returned. */
const SCRIPT = `
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initRepo, openRepo, Repo, SluiceError } from 'sluice';

const [dir, remote] = process.argv.slice(2);
execFileSync('git', ['init', '-q'], { cwd: dir });
await initRepo(dir);
const repo = await openRepo(dir);
const sameRoot = (await Repo.open(join(dir, '.dvc'))).root === repo.root;
writeFileSync(join(dir, 'data.txt'), 'one\\ntwo\\nthree\\n');
mkdirSync(join(dir, 'images'));
for (const name of ['a.png', 'b.png', 'c.png']) writeFileSync(join(dir, 'images', name), name);
const phases = [];
let filesSeen = 0;
const added = await repo.add(['data.txt', 'images'], {
  onPath: (e) => phases.push(e.phase),
  onFile: (files) => (filesSeen += files),
});
writeFileSync(
  join(dir, 'count.mjs'),
  "import { readFileSync, writeFileSync } from 'node:fs';\\n" +
    "const lines = readFileSync('data.txt', 'utf8').trim().split('\\\\n').length;\\n" +
    "writeFileSync('metrics.json', JSON.stringify({ lines }));\\n" +
    "console.log('counted', lines);\\n",
);
writeFileSync(
  join(dir, 'dvc.yaml'),
  'stages:\\n  count:\\n    cmd: node count.mjs\\n    deps: [data.txt, count.mjs]\\n' +
    '    metrics:\\n    - metrics.json:\\n        cache: false\\n',
);
const before = await repo.status();
const messages = [];
const states = [];
const output = [];
const reproduced = await repo.repro({
  onMessage: (m) => messages.push(m),
  onStageState: (stage, state) => states.push(stage + ':' + state),
  onOutput: (stage, stream, line) => output.push(stage + ' ' + stream + ' ' + line),
});
const after = await repo.status();
const metrics = await repo.metricsShow();
appendFileSync(
  join(dir, '.dvc', 'config'),
  "[core]\\n    remote = store\\n['remote \\"store\\"']\\n    url = " + remote + "\\n",
);
let total;
const pushed = await repo.push({ onProgress: { total: (n) => (total = n) } });
let error;
try {
  await repo.add('missing.txt');
} catch (caught) {
  error = { isSluiceError: caught instanceof SluiceError, code: caught.code };
}
console.log(JSON.stringify({
  root: repo.root === dir, sameRoot, added, phases, filesSeen, before, messages, states, output,
  reproduced, after, metrics, pushed: { ...pushed, total }, error,
}));
`;

/** Uses the published types; must type-check, and the misuses below must not. */
const TYPED = `
import { openRepo, SluiceError, type MetricsRevision, type StatusItem, type StatusResult } from 'sluice';

const repo = await openRepo('.');
const status: StatusResult = await repo.status({ targets: ['data.txt.dvc'], onFile: (f, b) => void [f, b] });
const items: StatusItem[] = Object.values(status.changes).flat();
const metrics: MetricsRevision[] = await repo.metricsShow({ allBranches: true });
const pushed: number = (await repo.push({ jobs: 2 })).transferred;
const ran: string[] = (await repo.repro({ force: true, onStageState: (a, s) => void [a, s] })).reproduced;
const code: 'NOT_FOUND' | string = new SluiceError('NOT_FOUND', 'gone').code;
// @ts-expect-error the root is a string
const wrong: number = repo.root;
// @ts-expect-error no such stage state
await repo.repro({ onStageState: (_a, s) => s === 'exploded' });
// @ts-expect-error not an error code
new SluiceError('NO_SUCH_CODE', 'x');
console.log(items, metrics, pushed, ran, code, wrong);
`;

interface LibraryRun {
  root: boolean;
  sameRoot: boolean;
  added: { dvcFiles: string[]; gitFiles: string[] };
  phases: string[];
  filesSeen: number;
  before: { clean: boolean; checked: number; changes: Record<string, unknown[]> };
  messages: string[];
  states: string[];
  output: string[];
  reproduced: { reproduced: string[]; changedFiles: string[] };
  after: { clean: boolean; checked: number; changes: Record<string, unknown[]> };
  metrics: Array<{ revision: string; files: Record<string, { data?: unknown }> }>;
  pushed: {
    transferred: number;
    missing: unknown[];
    failed: unknown[];
    remotes: string[];
    total: number;
  };
  error: { isSluiceError: boolean; code: string };
}

describe('the npm package, installed and used as a library', () => {
  let scratch: string;
  let result: LibraryRun;
  let typecheck: { code: number; output: string };

  beforeAll(async () => {
    if (!existsSync(join(projectRoot, 'dist', 'core', 'index.d.ts'))) {
      throw new Error('dist/ is missing: run `npm run build` first');
    }
    const packDir = tempDir('sluice-pack-');
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
      cwd: projectRoot,
    });
    const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>;
    const tarball = join(packDir, filename);
    scratch = join(packDir, 'scratch');
    await run('mkdir', [scratch]);
    await run('npm', ['init', '-y'], { cwd: scratch });
    writeInstallPlan(scratch, tarball);
    // The dependencies come from npm's cache (the project was installed with npm ci), at the
    // versions of the project's lockfile: no registry is asked.
    await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: scratch,
    });
    writeFileSync(join(scratch, 'use.mjs'), SCRIPT);
    writeFileSync(join(scratch, 'typed.ts'), TYPED);
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          strict: true,
          noEmit: true,
          // Fast; the @ts-expect-error lines show the types are real, not `any`.
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(projectRoot, 'node_modules', '@types')],
        },
        files: ['typed.ts'],
      }),
    );
    const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const [used, checked] = await Promise.all([
      run(
        process.execPath,
        ['use.mjs', tempDir('sluice-lib-repo-'), tempDir('sluice-lib-remote-')],
        {
          cwd: scratch,
        },
      ),
      run(process.execPath, [tsc, '-p', '.'], { cwd: scratch }).then(
        (r) => ({ code: 0, output: r.stdout }),
        (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, output: e.stdout ?? '' }),
      ),
    ]);
    result = JSON.parse(used.stdout) as LibraryRun;
    typecheck = checked;
  }, 180_000);

  afterAll(cleanupSandboxes);

  it('ships the built library, its types, the CLI and the demo example', () => {
    const installed = join(scratch, 'node_modules', 'sluice');
    for (const file of [
      'dist/core/index.js',
      'dist/core/index.d.ts',
      'dist/cli/sluice.mjs',
      'bin/sluice',
      'examples/digits/params.yaml',
      'examples/library/quickstart.mjs',
    ]) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      types: string;
    };
    expect(existsSync(join(installed, manifest.types))).toBe(true);
  });

  it('adds a file, with progress', () => {
    expect(result.root).toBe(true);
    expect(result.sameRoot).toBe(true);
    expect(result.added).toEqual({
      dvcFiles: ['data.txt.dvc', 'images.dvc'],
      gitFiles: ['data.txt.dvc', 'images.dvc', '.gitignore'],
    });
    expect(result.phases).toEqual(['hashing', 'caching', 'done', 'hashing', 'caching', 'done']);
    // The folder's files, one by one.
    expect(result.filesSeen).toBe(3);
  });

  it('reports the new stage as changed, then nothing after repro', () => {
    expect(result.before.clean).toBe(false);
    expect(result.before.checked).toBe(3);
    expect(Object.keys(result.before.changes)).toEqual(['count']);
    expect(result.after).toEqual({ clean: true, checked: 3, changes: {} });
  });

  it('reproduces the stage, its progress told through callbacks, nothing printed', () => {
    expect(result.reproduced).toEqual({ reproduced: ['count'], changedFiles: ['dvc.lock'] });
    expect(result.messages).toContain("Running stage 'count':");
    expect(result.states).toEqual(expect.arrayContaining(['count:running', 'count:done']));
    expect(result.output).toEqual(['count stdout counted 3']);
  });

  it('reads the metrics the stage wrote', () => {
    expect(result.metrics).toEqual([
      { revision: 'workspace', files: { 'metrics.json': { data: { lines: 3 } } } },
    ]);
  });

  it('pushes to a remote added after the repository was opened', () => {
    expect(result.pushed).toMatchObject({
      transferred: 5,
      missing: [],
      failed: [],
      remotes: ['store'],
      total: 5,
    });
  });

  it('throws SluiceError for a mistake', () => {
    expect(result.error).toEqual({ isSluiceError: true, code: 'NOT_FOUND' });
  });

  it('type-checks a TypeScript caller against the published .d.ts files', () => {
    expect(typecheck.output).toBe('');
    expect(typecheck.code).toBe(0);
  });
});

/**
 * A lockfile for the scratch project: the tarball, plus the production packages of the project's
 * own lockfile. `npm install <tarball> --offline` cannot work: npm ci fills the cache with
 * tarballs only, not the registry documents a fresh resolution asks for.
 */
function writeInstallPlan(dir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
  };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'scratch', version: '1.0.0', dependencies: { sluice: spec } },
    'node_modules/sluice': {
      version: manifest.version,
      resolved: spec,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && entry.dev !== true) packages[path] = entry;
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'scratch',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { sluice: spec },
    }),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'scratch',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages,
    }),
  );
}
