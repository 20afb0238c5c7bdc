import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { recordReliability } from '../helpers/reliabilityReport.js';
import { cleanupSandboxes, git, sluiceOk } from '../helpers/sandbox.js';
import {
  auditObjects,
  checkContents,
  listTree,
  md5,
  metafiles,
  missingObjects,
  referencedOids,
  sluiceTemps,
  snapshotFiles,
  unparsableMetafiles,
} from './invariants.js';
import {
  cleanupScratch,
  copyProject,
  copyProjectAsync,
  dataFiles,
  emptyProject,
  hookEnv,
  type KillPoint,
  killLeftovers,
  pipelineFiles,
  type Project,
  randomBytesFrom,
  removeProject,
  runAndKill,
  runSluice,
  seededRandom,
  writeFiles,
} from './repoFixtures.js';

/**
 * Kill at any point: each data command runs on a realistic small project and is SIGKILLed at
 * seeded pseudo-random moments, half by time over its measured duration and half right before
 * its n-th filesystem change; then the cache, the remote, the metafiles and the workspace are
 * checked, and the same command is run again to the end.
 *
 * SLUICE_KILL_SEED replays a run; SLUICE_KILL_POINTS sets the kill points per command;
 * SLUICE_KILL_JOBS how many run at once.
 */

const SEED = Number(process.env.SLUICE_KILL_SEED ?? 20261126);
const POINTS = Math.max(2, Number(process.env.SLUICE_KILL_POINTS ?? 13));
/** Kill points tried at once (each on its own copy of the project). */
const JOBS = Math.max(1, Number(process.env.SLUICE_KILL_JOBS ?? 2));
const UP_TO_DATE = 'Data and pipelines are up to date.';
const TRACKED = ['data', 'big1.bin', 'big2.bin', 'prepared', 'features.bin', 'model.bin'];
const LOCK = join('.dvc', 'tmp', 'sluice.lock');

afterAll(() => {
  killLeftovers();
  cleanupScratch();
  cleanupSandboxes();
});

// ---- starting states, built once and copied for every kill point -------------------------------

function commitAll(project: Project, message: string): void {
  git(project.repo, 'add', '-A');
  git(project.repo, 'commit', '-q', '-m', message);
}

/** Changes 30 files of data/, adds 5, deletes 3 and replaces big1.bin. */
function modifyData(project: Project, seed: number): void {
  const files = dataFiles(seed);
  const changed: Record<string, Buffer> = {
    'big1.bin': randomBytesFrom(seed + 7, 2 * 1024 * 1024),
  };
  const names = Object.keys(files).filter((name) => name.startsWith('data/'));
  for (const name of names.slice(0, 30)) changed[name] = Buffer.from(`changed ${seed} ${name}\n`);
  for (let i = 0; i < 5; i += 1) changed[`data/part9/new${i}.csv`] = Buffer.from(`new ${i}\n`);
  writeFiles(project.repo, changed);
  for (const name of names.slice(40, 43)) rmSync(join(project.repo, name));
}

const templates = new Map<string, Project>();

function template(name: string, build: () => Project): Project {
  let project = templates.get(name);
  if (project === undefined) {
    project = build();
    templates.set(name, project);
  }
  return project;
}

/** Data and pipeline written, nothing tracked yet. */
const withData = (): Project =>
  template('data', () => {
    const project = emptyProject();
    writeFiles(project.repo, { ...dataFiles(SEED), ...pipelineFiles });
    git(project.repo, 'add', 'src', 'dvc.yaml');
    git(project.repo, 'commit', '-q', '-m', 'pipeline');
    return project;
  });

/** Data added and committed to git; the pipeline never ran. */
const added = (): Project =>
  template('added', () => {
    const project = copyProject(withData());
    sluiceOk(project.repo, 'add', 'data', 'big1.bin', 'big2.bin');
    commitAll(project, 'data');
    return project;
  });

/** Data added, pipeline reproduced, all committed; the remote is empty. */
const reproduced = (): Project =>
  template('reproduced', () => {
    const project = copyProject(added());
    sluiceOk(project.repo, 'repro');
    commitAll(project, 'repro');
    return project;
  });

/** Two versions of everything in the cache and the remote; the workspace uses the second. */
const twoVersions = (): Project =>
  template('twoVersions', () => {
    const project = copyProject(reproduced());
    sluiceOk(project.repo, 'push');
    modifyData(project, SEED + 100);
    sluiceOk(project.repo, 'add', 'data', 'big1.bin');
    sluiceOk(project.repo, 'repro');
    sluiceOk(project.repo, 'push');
    commitAll(project, 'v2');
    return project;
  });

interface Scenario {
  label: string;
  args: string[];
  start: () => Project;
  /** Does the command write to the remote (so the remote is audited too)? */
  writesRemote?: boolean;
  /** After the rerun: every object the metafiles name is on the remote. */
  remoteComplete?: boolean;
  /**
   * dvc.lock is rewritten after each stage, so a kill between stages leaves it with some
   * stages new and some old: compare it stage by stage.
   */
  lockPerStage?: boolean;
}

const scenarios: Scenario[] = [
  { label: 'add', args: ['add', 'data', 'big1.bin', 'big2.bin'], start: withData },
  {
    label: 'commit',
    args: ['commit', '-f'],
    start: () =>
      template('modified', () => {
        const project = copyProject(reproduced());
        modifyData(project, SEED + 50);
        return project;
      }),
  },
  {
    label: 'checkout',
    args: ['checkout', '-f'],
    start: () =>
      template('deleted', () => {
        const project = copyProject(reproduced());
        for (const path of ['data/part1', 'data/part3', 'big1.bin', 'prepared', 'model.bin']) {
          rmSync(join(project.repo, path), { recursive: true, force: true });
        }
        writeFiles(project.repo, { 'big2.bin': 'edited by hand\n' });
        return project;
      }),
  },
  { label: 'repro', args: ['repro'], start: added, lockPerStage: true },
  { label: 'push', args: ['push'], start: reproduced, writesRemote: true, remoteComplete: true },
  {
    label: 'pull',
    args: ['pull'],
    start: () =>
      template('pushedEmpty', () => {
        const project = copyProject(reproduced());
        sluiceOk(project.repo, 'push');
        for (const path of [...TRACKED, '.dvc/cache']) {
          rmSync(join(project.repo, path), { recursive: true, force: true });
        }
        return project;
      }),
    remoteComplete: true,
  },
  { label: 'gc -w', args: ['gc', '-w', '-f'], start: twoVersions },
  {
    label: 'gc -w -c',
    args: ['gc', '-w', '-c', '-f'],
    start: twoVersions,
    writesRemote: true,
    remoteComplete: true,
  },
];

// ---- the harness --------------------------------------------------------------------------------

interface Tally {
  label: string;
  durationMs: number;
  startupMs: number;
  writes: number;
  byDelay: number;
  byWrite: number;
  tried: number;
  killed: number;
  midWork: number;
  survived: number;
  rerunsCompleted: number;
  /** Sluice's temporary files right after the kills, and after the next commands (must be 0). */
  tempsAfterKill: number;
  leftoverTemps: number;
}

const tallies: Tally[] = [];

function workspaceSnapshot(project: Project): Map<string, Buffer> {
  return snapshotFiles(project.repo, [...TRACKED, 'metrics.json', ...metafiles(project.repo)]);
}

type LockStages = Record<string, unknown>;

function lockStages(text: Buffer | undefined): LockStages {
  if (text === undefined) return {};
  const doc = yaml.load(text.toString('utf8')) as { stages?: LockStages } | null;
  return doc?.stages ?? {};
}

/** Every stage dvc.lock records is the one before or the one after the run, never a mix. */
function lockStageProblems(
  project: Project,
  before: Map<string, Buffer>,
  after: Map<string, Buffer>,
): string[] {
  const path = join(project.repo, 'dvc.lock');
  if (!existsSync(path)) return [];
  let actual: LockStages;
  try {
    actual = lockStages(readFileSync(path));
  } catch {
    return []; // reported by unparsableMetafiles
  }
  const old = lockStages(before.get('dvc.lock'));
  const next = lockStages(after.get('dvc.lock'));
  return Object.entries(actual)
    .filter(
      ([name, entry]) =>
        !isDeepStrictEqual(entry, old[name]) && !isDeepStrictEqual(entry, next[name]),
    )
    .map(([name]) => `dvc.lock stage ${name} is neither old nor new`);
}

/** Problems right after a kill: anything a later command could trust that is wrong. */
function afterKillProblems(
  project: Project,
  scenario: Scenario,
  before: Map<string, Buffer>,
  after: Map<string, Buffer>,
): string[] {
  const problems: string[] = [];
  const cache = auditObjects(join(project.repo, '.dvc', 'cache', 'files', 'md5'));
  if (cache.bad.length > 0) problems.push(`cache objects with wrong bytes: ${cache.bad.join(' ')}`);
  if (scenario.writesRemote === true) {
    const remote = auditObjects(join(project.remote, 'files', 'md5'));
    if (remote.bad.length > 0)
      problems.push(`remote objects with wrong bytes: ${remote.bad.join(' ')}`);
  }
  const unparsable = unparsableMetafiles(project.repo);
  if (unparsable.length > 0) problems.push(`metafiles that do not parse: ${unparsable.join(' ')}`);
  let contents;
  if (scenario.lockPerStage === true) {
    const withoutLock = (files: Map<string, Buffer>): Map<string, Buffer> =>
      new Map([...files].filter(([path]) => path !== 'dvc.lock'));
    contents = checkContents(project.repo, withoutLock(before), withoutLock(after));
    problems.push(...lockStageProblems(project, before, after));
  } else {
    contents = checkContents(project.repo, before, after);
  }
  if (contents.wrong.length > 0) {
    problems.push(`files neither old nor new: ${contents.wrong.slice(0, 5).join(' ')}`);
  }
  if (contents.missing.length > 0) {
    problems.push(`files lost: ${contents.missing.slice(0, 5).join(' ')}`);
  }
  return problems;
}

/** Problems after the rerun: it must leave exactly the state of an uninterrupted run. */
async function afterRerunProblems(
  project: Project,
  scenario: Scenario,
  after: Map<string, Buffer>,
  expectedStatus: string,
): Promise<string[]> {
  const problems: string[] = [];
  const status = await runSluice(project.repo, ['status']);
  if (status.code !== 0 || status.stdout !== expectedStatus) {
    problems.push(`status differs: ${status.stdout.trim()} ${status.stderr.trim()}`);
  }
  const contents = checkContents(project.repo, after);
  if (contents.wrong.length + contents.missing.length > 0) {
    problems.push(
      `workspace differs: ${[...contents.wrong, ...contents.missing].slice(0, 5).join(' ')}`,
    );
  }
  const extra = [...workspaceSnapshot(project).keys()].filter((path) => !after.has(path));
  if (extra.length > 0) problems.push(`unexpected files: ${extra.slice(0, 5).join(' ')}`);
  const cacheRoot = join(project.repo, '.dvc', 'cache', 'files', 'md5');
  const cache = auditObjects(cacheRoot);
  if (cache.bad.length > 0) problems.push(`cache objects with wrong bytes: ${cache.bad.join(' ')}`);
  const needed = referencedOids(project.repo);
  const lost = missingObjects(cacheRoot, needed);
  if (lost.length > 0) problems.push(`cache lacks: ${lost.slice(0, 5).join(' ')}`);
  if (scenario.remoteComplete === true) {
    const remoteRoot = join(project.remote, 'files', 'md5');
    const remote = auditObjects(remoteRoot);
    if (remote.bad.length > 0)
      problems.push(`remote objects with wrong bytes: ${remote.bad.join(' ')}`);
    const notPushed = missingObjects(remoteRoot, needed);
    if (notPushed.length > 0) problems.push(`remote lacks: ${notPushed.slice(0, 5).join(' ')}`);
  }
  if (existsSync(join(project.repo, LOCK))) problems.push('the repo lock was left behind');
  return problems;
}

interface PointResult {
  killed: boolean;
  /** Killed after it had changed something (the cache, the remote or the workspace). */
  midWork: boolean;
  rerunCompleted: boolean;
  tempsAfterKill: number;
  leftoverTemps: number;
  problems: string[];
}

/** One kill point on a fresh copy of the starting state. */
/** What a command may change: cache and remote names (temporary ones too), workspace bytes. */
function stateFingerprint(project: Project): string {
  const hash = createHash('md5');
  hash.update(listTree(join(project.repo, '.dvc', 'cache')).join('\n'));
  hash.update(listTree(project.remote).join('\n'));
  for (const [path, data] of workspaceSnapshot(project)) hash.update(`${path}\0${md5(data)}\n`);
  return hash.digest('hex');
}

interface PointContext {
  scenario: Scenario;
  start: Project;
  startFingerprint: string;
  before: Map<string, Buffer>;
  after: Map<string, Buffer>;
  expectedStatus: string;
}

/** One kill point on a fresh copy of the starting state. */
async function tryKillPoint(ctx: PointContext, point: KillPoint): Promise<PointResult> {
  const { scenario, before, after } = ctx;
  const project = await copyProjectAsync(ctx.start);
  const run = await runAndKill(project.repo, scenario.args, point);
  const midWork = !run.finished && stateFingerprint(project) !== ctx.startFingerprint;
  const problems = afterKillProblems(project, scenario, before, after);
  const tempsAfterKill = sluiceTemps(project.repo).length + sluiceTemps(project.remote).length;
  const rerun = await runSluice(project.repo, ['--wait', '60', ...scenario.args]);
  if (rerun.code === 0) {
    problems.push(...(await afterRerunProblems(project, scenario, after, ctx.expectedStatus)));
  } else {
    problems.push(`rerun exited ${rerun.code}: ${rerun.stderr.trim()}`);
  }
  // What the kill left, the next command (the rerun) removed: no temporary file of Sluice's
  // is left in the workspace, .dvc, the cache or the remote.
  const left = [
    ...sluiceTemps(project.repo),
    ...sluiceTemps(project.remote).map((path) => `remote:${path}`),
  ];
  if (left.length > 0) problems.push(`temporary files left: ${left.slice(0, 5).join(' ')}`);
  await removeProject(project);
  return {
    killed: !run.finished,
    midWork,
    rerunCompleted: rerun.code === 0,
    tempsAfterKill,
    leftoverTemps: left.length,
    problems,
  };
}

/** Runs `task` over `items`, `jobs` at a time, results in the order of `items`. */
async function pool<T, R>(items: T[], jobs: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

/**
 * Half the points by time: 0 ms, just before the end, and seeded uniform delays between node's
 * start-up and the end (killing a process that has not loaded yet tells little). The other half
 * by write: right before the first and the last call that changes the filesystem, and seeded
 * uniform ones between, so those kills land mid-work however fast or loaded the machine is.
 */
function killPoints(
  label: string,
  startupMs: number,
  durationMs: number,
  writes: number,
): KillPoint[] {
  let seed = SEED;
  for (const char of label) seed = (Math.imul(seed, 31) + char.charCodeAt(0)) >>> 0;
  const next = seededRandom(seed);
  const byDelay = Math.ceil(POINTS / 2);
  const from = Math.min(startupMs, durationMs / 2);
  const delays = [0, Math.max(0, Math.round(durationMs * 0.97))].slice(0, byDelay);
  while (delays.length < byDelay) delays.push(Math.round(from + next() * (durationMs - from)));
  const byWrite = POINTS - byDelay;
  const counts = [1, writes].slice(0, byWrite);
  while (counts.length < byWrite) counts.push(1 + Math.floor(next() * writes));
  return [
    ...delays.sort((a, b) => a - b).map((delayMs) => ({ delayMs })),
    ...counts.sort((a, b) => a - b).map((write) => ({ write })),
  ];
}

function describePoint(point: KillPoint | undefined, writes: number): string {
  if (point === undefined) return 'kill';
  return 'delayMs' in point
    ? `kill at ${point.delayMs} ms`
    : `kill before write ${point.write} of ${writes}`;
}

/** How long sluice takes to start and exit doing nothing (the fastest of three). */
function startupTime(cwd: string): number {
  let best = Infinity;
  for (let i = 0; i < 3; i += 1) {
    const began = performance.now();
    sluiceOk(cwd, '--version');
    best = Math.min(best, performance.now() - began);
  }
  return best;
}

describe('kill at any point', () => {
  for (const scenario of scenarios) {
    it(`sluice ${scenario.label}: killed anywhere, nothing corrupt; the rerun completes`, async () => {
      const start = scenario.start();
      const before = workspaceSnapshot(start);

      // Uninterrupted runs give the end state and the duration to spread kill points over;
      // as many at once as kill points will run at once, so the durations are comparable.
      // The first also counts the calls that change the filesystem, for kills by write.
      const references = await Promise.all(
        Array.from({ length: JOBS }, async (_, i) => {
          const project = await copyProjectAsync(start);
          const countFile = join(project.base, 'writes');
          const env = i === 0 ? hookEnv({ countFile }) : {};
          const began = performance.now();
          const run = await runSluice(project.repo, scenario.args, env);
          const ms = performance.now() - began;
          expect(run.code, run.stderr).toBe(0);
          const writes = i === 0 ? Number(readFileSync(countFile, 'utf8')) : 0;
          return { project, ms, writes };
        }),
      );
      const durationMs = Math.max(...references.map((r) => r.ms));
      const writes = references[0].writes;
      expect(writes).toBeGreaterThan(0);
      const reference = references[0].project;
      const expectedStatus = sluiceOk(reference.repo, 'status').stdout;
      // only `add` leaves something to do: the pipeline has not run on the new data yet
      if (scenario.label !== 'add') expect(expectedStatus.trim()).toBe(UP_TO_DATE);
      const after = workspaceSnapshot(reference);
      for (const r of references) await removeProject(r.project);

      const startupMs = startupTime(start.repo);
      const points = killPoints(scenario.label, startupMs, durationMs, writes);
      const ctx: PointContext = {
        scenario,
        start,
        startFingerprint: stateFingerprint(start),
        before,
        after,
        expectedStatus,
      };
      const results = await pool(points, JOBS, (point) => tryKillPoint(ctx, point));
      const tally: Tally = {
        label: scenario.label,
        durationMs,
        startupMs,
        writes,
        byDelay: points.filter((p) => 'delayMs' in p).length,
        byWrite: points.filter((p) => 'write' in p).length,
        tried: results.length,
        killed: results.filter((r) => r.killed).length,
        midWork: results.filter((r) => r.midWork).length,
        survived: results.filter((r) => r.problems.length === 0).length,
        rerunsCompleted: results.filter((r) => r.rerunCompleted).length,
        tempsAfterKill: results.reduce((sum, r) => sum + r.tempsAfterKill, 0),
        leftoverTemps: results.reduce((sum, r) => sum + r.leftoverTemps, 0),
      };
      const failures = results.flatMap((r, i) =>
        r.problems.length === 0
          ? []
          : [`${describePoint(points[i], writes)} (seed ${SEED}): ${r.problems.join('; ')}`],
      );
      tallies.push(tally);
      expect(failures).toEqual([]);
      expect(tally.tried).toBe(POINTS);
    }, 600_000);
  }

  it('records the figures', () => {
    expect(tallies.map((t) => t.label)).toEqual(scenarios.map((s) => s.label));
    const sum = (pick: (t: Tally) => number): number => tallies.reduce((n, t) => n + pick(t), 0);
    const total = sum((t) => t.tried);
    expect(sum((t) => t.survived)).toBe(total);
    expect(sum((t) => t.leftoverTemps)).toBe(0);
    expect(total).toBe(POINTS * scenarios.length);
    const rows = tallies.map((t) =>
      [
        `\`sluice ${t.label}\``,
        Math.round(t.durationMs),
        Math.round(t.startupMs),
        t.writes,
        `${t.byDelay} + ${t.byWrite}`,
        t.tried,
        t.killed,
        t.midWork,
        t.survived,
        t.rerunsCompleted,
        t.tempsAfterKill,
        t.leftoverTemps,
      ].join(' | '),
    );
    recordReliability({
      id: '10-kill-points',
      title: 'Kill at any point',
      body: `Each command ran on a project of 300 small files in 6 folders plus files of 2 MB and
1.5 MB, a 3-stage pipeline of node scripts (prepare, featurize, train, each writing its files
under a temporary name and renaming them) and a local-folder remote. It was first run uninterrupted (two at once, as the kill points run) to measure its
duration and count the calls that change the filesystem (write, rename, copy, mkdir, chmod,
unlink…, counted by a preload, \`test/reliability/killHook.mjs\`). Then it was SIGKILLed (its
whole process group, stage commands included), each time on a fresh copy of the starting state,
two at a time: half the points by time, at 0 ms, at 97 % of the duration and at seeded uniform
delays between node's start-up and the end; the other half by write, right before the first,
the last and seeded uniform n-th filesystem changes, so they land mid-work however fast or
loaded the machine is.

Starting states: \`add\` of untracked data; \`commit -f\` after 30 files changed, 5 added,
3 deleted and a big file replaced; \`checkout -f\` with folders and files deleted and one
edited; \`repro\` of a pipeline that never ran; \`push\` to an empty remote; \`pull\` into
an empty cache and workspace; \`gc -w -f\` and \`gc -w -c -f\` with two versions of everything
in the cache and the remote.

Right after each kill: every object under a final name in the cache (and in the remote, for
commands that write it) hashes to its name, \`.dir\` objects included; every \`.dvc\`,
\`dvc.yaml\` and \`dvc.lock\` parses; every tracked file and metafile is either its old or its
new version (dvc.lock stage by stage, as repro records each stage when it ends), and no file is
lost. Then the same command ran again, taking over the dead process's lock: it must exit 0 and
leave exactly the state of the uninterrupted run: the same \`sluice status\` (clean, except
after \`add\`, where the pipeline is still to run), every tracked file and metafile
byte-identical, every object the metafiles name in the cache (and on the remote for push, pull
and gc -c), no lock left behind, and no temporary file of Sluice's anywhere in the workspace, \`.dvc\`,
the cache or the remote.

"Killed mid-work" counts kills after which the cache, the remote or the workspace had already
changed: the command was cut short in the middle of writing.

| command | uninterrupted (ms) | start-up (ms) | filesystem changes | points by time + by write | kill points tried | killed before the end | killed mid-work | survived | reruns completed | temp files after the kills | temp files left after the reruns |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.map((row) => `| ${row} |`).join('\n')}
| **total** | | | | | **${total}** | **${sum((t) => t.killed)}** | **${sum((t) => t.midWork)}** | **${sum((t) => t.survived)}** | **${sum((t) => t.rerunsCompleted)}** | **${sum((t) => t.tempsAfterKill)}** | **${sum((t) => t.leftoverTemps)}** |

Seed ${SEED}, ${POINTS} points per command. Rerun with more points or another seed:
\`SLUICE_KILL_SEED=7 SLUICE_KILL_POINTS=50 npx vitest run test/reliability/killPoints.test.ts\`
(\`SLUICE_KILL_JOBS\` sets how many kill points run at once). "Temp files after the kills" counts
the files under Sluice's temporary names (and records of the folders holding them) that the
killed commands left, summed over the kill points; every one must be gone after the next command.`,
    });
  });
});
