#!/usr/bin/env node
// Mutation testing of one core module at a time: `npm run mutation -- MODULE [MODULE...]`
// (`npm run mutation -- --list` names them). Runs StrykerJS with the unit tests that cover the
// module, prints the surviving mutants, and writes the module's score into the mutation section
// of docs/reliability.md. Outside CI: a module takes minutes to an hour on 2 cores.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Module name -> the source files mutated and the unit tests run against each mutant. */
export const modules = {
  graph: {
    what: 'pipeline graph (edges, cycles, plan order)',
    mutate: ['src/core/7-metafiles/graph.ts'],
    tests: ['test/unit/core/7-metafiles/graph.test.ts'],
  },
  'dir-listing': {
    what: '`.dir` listing serialization and parsing',
    mutate: ['src/core/3-objects/dirObject.ts'],
    tests: ['test/oracle/core/3-objects/dirObject.test.ts'],
  },
  lock: {
    what: '`dvc.lock` entries and their YAML',
    mutate: ['src/core/7-metafiles/pipelineFile.ts'],
    // realDvc.test.ts covers it too, but runs DVC for a minute before each mutant's run.
    tests: [
      'test/unit/core/7-metafiles/lockEntry.test.ts',
      'test/unit/core/7-metafiles/pipelineFile.test.ts',
      'test/oracle/core/7-metafiles/realRepos.test.ts',
    ],
  },
  yaml: {
    what: 'metafile YAML dump/update (`.dvc`, `dvc.yaml`, `dvc.lock` text)',
    mutate: ['src/core/7-metafiles/yaml/*.ts'],
    tests: [
      'test/oracle/core/7-metafiles/yamlDump.test.ts',
      'test/unit/core/7-metafiles/yamlUpdate.test.ts',
      'test/oracle/core/7-metafiles/realDvc.test.ts',
      'test/oracle/core/7-metafiles/realRepos.test.ts',
    ],
  },
  'folder-listing': {
    what: 'folder walk and stamps (status change detection of folders)',
    mutate: ['src/core/5-workspace/folderListing.ts', 'src/core/5-workspace/folderStamp.ts'],
    tests: [
      'test/unit/core/5-workspace/folderListing.test.ts',
      'test/unit/core/5-workspace/folderStamp.test.ts',
    ],
  },
  'dvc-file': {
    what: '`.dvc` file loading, stage md5 and saving',
    mutate: ['src/core/7-metafiles/dvcFile.ts'],
    tests: ['test/unit/core/7-metafiles/dvcFile.test.ts'],
  },
  'dvc-schema': {
    what: "`.dvc` and `dvc.lock` schema validation (DVC's messages, coercions)",
    mutate: ['src/core/7-metafiles/dvcFileSchema.ts'],
    tests: [
      'test/unit/core/7-metafiles/dvcFileSchema.test.ts',
      'test/unit/core/7-metafiles/yamlUpdate.test.ts',
      'test/unit/core/7-metafiles/lockEntry.test.ts',
    ],
  },
  status: {
    what: 'status change detection (stage status; output status and the cache check)',
    // outputState.ts: only its change-detection part (hashNameFor … stateFromHash); the rest
    // saves and checks out, covered end to end.
    mutate: ['src/core/9-ops/pipeline/stageStatus.ts', 'src/core/9-ops/data/outputState.ts:22-131'],
    tests: [
      'test/unit/core/9-ops/pipeline/stageStatus.test.ts',
      'test/unit/core/9-ops/data/outputState.test.ts',
    ],
  },
  'guarded-path': {
    what: 'the guarded workspace path (workspacePathProblem, assertWorkspacePath, resolve)',
    mutate: ['src/core/5-workspace/guardedWorkspace.ts'],
    tests: ['test/unit/core/5-workspace/guardedWorkspace.test.ts'],
  },
  'hash-file': {
    what: 'file md5 (3.x and legacy dos2unix), text detection',
    mutate: ['src/core/3-objects/hashFile.ts'],
    tests: ['test/unit/core/3-objects/hashFile.test.ts'],
  },
  'object-store': {
    what: 'local cache objects (paths, check/verify, add, .dir read)',
    mutate: ['src/core/3-objects/objectStore.ts'],
    tests: ['test/unit/core/3-objects/objectStore.test.ts'],
  },
  schedule: {
    what: '`repro -j` scheduling (which stages start, which a failure skips)',
    mutate: ['src/core/9-ops/pipeline/schedule.ts'],
    tests: ['test/unit/core/9-ops/pipeline/schedule.test.ts'],
  },
  'transfer-plan': {
    what: 'transfer planning for push/pull/fetch/status -c (objects of outputs, what the remote and the cache hold)',
    // upload.ts/download.ts move the bytes; the e2e and remote groups cover them.
    mutate: [
      'src/core/9-ops/remote/plan.ts',
      'src/core/9-ops/remote/remoteExisting.ts',
      'src/core/9-ops/remote/cacheExisting.ts',
    ],
    tests: [
      'test/unit/core/9-ops/remote/plan.test.ts',
      'test/unit/core/9-ops/remote/cacheExisting.test.ts',
      'test/unit/core/4-storage/remote-existing.test.ts',
    ],
  },
};

const DOC = join(root, 'docs', 'reliability.md');
const SECTION = '90-mutation';
const RESULTS_DIR = join(root, 'test-artifacts', 'mutation');

function score(results) {
  const count = (...statuses) => results.filter((r) => statuses.includes(r.status)).length;
  const killed = count('Killed', 'Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const errors = count('CompileError', 'RuntimeError');
  const valid = killed + survived + noCoverage;
  return {
    total: results.length,
    killed,
    survived,
    noCoverage,
    errors,
    percent: valid === 0 ? 0 : Math.round((1000 * killed) / valid) / 10,
  };
}

/** Rewrites the mutation section of docs/reliability.md, keeping the other modules' rows. */
function writeSection(name, figures) {
  let text;
  try {
    text = readFileSync(DOC, 'utf8');
  } catch {
    text = '# Reliability\n';
  }
  const pattern = new RegExp(`<!-- section:${SECTION} -->\\n([\\s\\S]*?)<!-- /section -->\\n`);
  const old = pattern.exec(text)?.[1] ?? '';
  const rows = new Map();
  for (const line of old.split('\n')) {
    const cells = /^\| `([\w-]+)` \|/.exec(line);
    if (cells !== null) rows.set(cells[1], line);
  }
  const stamp = new Date().toISOString().slice(0, 10);
  const m = modules[name];
  rows.set(
    name,
    `| \`${name}\` | ${m.mutate.map((f) => `\`${f}\``).join(', ')} | ${figures.percent}% | ` +
      `${figures.killed} | ${figures.survived} | ${figures.noCoverage} | ${figures.total} | ${stamp} |`,
  );
  const notes = /\n### Surviving mutants[\s\S]*$/.exec(old.trimEnd())?.[0] ?? '';
  const body = [
    '## Mutation testing',
    '',
    'StrykerJS (`npm run mutation -- MODULE`, outside CI) mutates one core module and runs the',
    'unit tests that cover it against each mutant. Score = killed (or timed out) / (killed +',
    'survived + not covered); compile errors do not count. Target: 85% per module.',
    '',
    '| module | files | score | killed | survived | no coverage | mutants | run |',
    '|---|---|---|---|---|---|---|---|',
    ...[...rows.keys()].sort().map((k) => rows.get(k)),
  ].join('\n');
  const section = `<!-- section:${SECTION} -->\n${body}\n${notes}\n<!-- /section -->\n`;
  const next = pattern.test(text)
    ? text.replace(pattern, section)
    : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(`${DOC}.tmp`, next);
  renameSync(`${DOC}.tmp`, DOC);
}

async function runModule(name) {
  const m = modules[name];
  process.env.SLUICE_MUTATION_TESTS = m.tests.join(',');
  const { Stryker } = await import('@stryker-mutator/core');
  const stryker = new Stryker({
    mutate: m.mutate,
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.mutation.config.ts', related: false },
    coverageAnalysis: 'perTest',
    concurrency: Number(process.env.SLUICE_MUTATION_CONCURRENCY ?? 2),
    timeoutMS: 60_000,
    reporters: ['clear-text', 'progress-append-only'],
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    ignorePatterns: [
      'dist',
      'bench',
      'test-artifacts',
      'examples',
      'coverage',
      '.tools',
      'web/dist',
    ],
    tempDirName: `.stryker-tmp/${name}`,
    cleanTempDir: 'always',
    plugins: ['@stryker-mutator/vitest-runner'],
  });
  const results = await stryker.runMutationTest();
  const figures = score(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const survivors = results
    .filter((r) => r.status === 'Survived' || r.status === 'NoCoverage')
    .map((r) => ({
      status: r.status,
      file: r.fileName.replace(`${root}/`, ''),
      line: r.location.start.line,
      mutator: r.mutatorName,
      replacement: r.replacement,
    }));
  writeFileSync(join(RESULTS_DIR, `${name}.json`), JSON.stringify({ figures, survivors }, null, 2));
  writeSection(name, figures);
  console.log(
    `\n${name}: ${figures.percent}% (${figures.killed} killed, ${figures.survived} survived, ${figures.noCoverage} no coverage, ${figures.total} mutants)`,
  );
  console.log(`survivors listed in test-artifacts/mutation/${name}.json`);
  return figures;
}

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--list') || args.some((a) => !(a in modules))) {
  const unknown = args.filter((a) => a !== '--list' && !(a in modules));
  if (unknown.length > 0) console.error(`unknown module: ${unknown.join(', ')}`);
  for (const [name, m] of Object.entries(modules)) console.log(`${name.padEnd(16)} ${m.what}`);
  process.exit(unknown.length > 0 || args.length === 0 ? 1 : 0);
}
for (const name of args) await runModule(name);
