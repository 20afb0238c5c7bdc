import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { recordReliability } from '../helpers/reliabilityReport.js';
import { cleanupSandboxes, git, sluiceOk, tempDir, writeTree } from '../helpers/sandbox.js';
import { auditObjects, metafiles, missingObjects, referencedOids } from './invariants.js';
import {
  cleanupScratch,
  dataFiles,
  emptyProject,
  killLeftovers,
  pipelineFiles,
  randomBytesFrom,
  runSluice,
  writeFiles,
} from './repoFixtures.js';

/**
 * Concurrency: several sluice processes on one repo at once, and two clones pushing to one
 * remote at once. The repo lock serialises writers; nothing is lost or half-written.
 */

const UP_TO_DATE = 'Data and pipelines are up to date.';
const LOCK = join('.dvc', 'tmp', 'sluice.lock');
const LOCKED_MESSAGE = /^ERROR: the repository is locked by /m;

afterAll(() => {
  killLeftovers();
  cleanupScratch();
  cleanupSandboxes();
});

interface Figures {
  processes: number;
  rounds: number;
  metafileReads: number;
  halfWritten: number;
}

const figures = {
  mix: [] as Figures[],
  gcDuringRepro: 0,
  clonesRounds: 0,
  clonesObjects: 0,
  lockCases: 0,
};

/**
 * Reads and parses every metafile in a loop while `work` runs, as an editor or a second tool
 * would: a half-written file shows up as a parse error or a non-mapping document.
 */
async function watchMetafiles<T>(
  root: string,
  work: Promise<T>,
): Promise<{ result: T; reads: number; halfWritten: string[] }> {
  let done = false;
  let reads = 0;
  const halfWritten: string[] = [];
  const watcher = (async () => {
    while (!done) {
      for (const path of metafiles(root)) {
        let text: string;
        try {
          text = readFileSync(join(root, path), 'utf8');
        } catch {
          continue; // removed between listing and reading (gc, a failed add): not a torn write
        }
        reads += 1;
        try {
          const doc = yaml.load(text);
          if (doc === null || typeof doc !== 'object') halfWritten.push(`${path}: ${text}`);
        } catch {
          halfWritten.push(`${path}: ${text}`);
        }
      }
      await sleep(2);
    }
  })();
  const result = await work.finally(() => {
    done = true;
  });
  await watcher;
  return { result, reads, halfWritten };
}

/** A project with tracked data and a reproduced pipeline, all committed. */
function pipelineProject(): string {
  const project = emptyProject();
  writeFiles(project.repo, { ...dataFiles(11, 120), ...pipelineFiles });
  sluiceOk(project.repo, 'add', 'data', 'big1.bin', 'big2.bin');
  sluiceOk(project.repo, 'repro');
  git(project.repo, 'add', '-A');
  git(project.repo, 'commit', '-q', '-m', 'data and pipeline');
  return project.repo;
}

/** Every object a metafile names is in the cache, and every cached object hashes right. */
function expectCacheComplete(root: string): number {
  const filesRoot = join(root, '.dvc', 'cache', 'files', 'md5');
  const audit = auditObjects(filesRoot);
  expect(audit.bad).toEqual([]);
  expect(missingObjects(filesRoot, referencedOids(root))).toEqual([]);
  return audit.objects.length;
}

type Outcome = Awaited<ReturnType<typeof runSluice>>;

/** Exit 0, or the lock-wait message (one ERROR line naming the holder). */
function acceptable(outcome: Outcome): boolean {
  return outcome.code === 0 || (outcome.code === 1 && LOCKED_MESSAGE.test(outcome.stderr));
}

describe('concurrent processes on one repo', () => {
  for (const [processes, rounds] of [
    [2, 3],
    [10, 2],
  ] as const) {
    it(`${processes} processes at once (add, status, repro, gc -w -f, commit): nothing lost`, async () => {
      const root = pipelineProject();
      let metafileReads = 0;
      let halfWritten = 0;
      for (let round = 0; round < rounds; round += 1) {
        // each round adds new files and changes a stage's dependency, so every writer has work
        const mix: string[][] = [];
        for (let i = 0; i < processes; i += 1) {
          const name = `new-${round}-${i}.bin`;
          const kind = ['add', 'status', 'gc', 'add', 'repro', 'commit', 'status', 'add'][
            (i + round) % 8
          ];
          if (kind === 'add') {
            writeFileSync(join(root, name), randomBytesFrom(round * 100 + i, 300 * 1024));
            mix.push(['add', name]);
          } else if (kind === 'gc') {
            mix.push(['gc', '-w', '-f']);
          } else if (kind === 'repro') {
            mix.push(['repro']);
          } else if (kind === 'commit') {
            mix.push(['commit', '-f']);
          } else {
            mix.push(['status']);
          }
        }
        writeFileSync(
          join(root, 'src', 'train.mjs'),
          `${pipelineFiles['src/train.mjs'] ?? ''}// round ${round}\n`,
        );
        const work = Promise.all(mix.map((args) => runSluice(root, ['--wait', '120', ...args])));
        const watched = await watchMetafiles(root, work);
        metafileReads += watched.reads;
        halfWritten += watched.halfWritten.length;
        expect(watched.halfWritten).toEqual([]);
        const failures = watched.result
          .map((outcome, i) => ({ args: mix[i]?.join(' '), ...outcome }))
          .filter((outcome) => !acceptable(outcome));
        expect(failures).toEqual([]);
        // with --wait 120 nobody should even have had to give up
        expect(watched.result.map((outcome) => outcome.code)).toEqual(mix.map(() => 0));
        expect(existsSync(join(root, LOCK))).toBe(false);
        expectCacheComplete(root);
        for (const args of mix.filter((a) => a[0] === 'add')) {
          expect(existsSync(join(root, `${args[1] ?? ''}.dvc`))).toBe(true);
        }
      }
      // a last repro brings the pipeline up to date whatever order the processes ran in
      sluiceOk(root, 'repro');
      expect(sluiceOk(root, 'status').stdout.trim()).toBe(UP_TO_DATE);
      expectCacheComplete(root);
      figures.mix.push({ processes, rounds, metafileReads, halfWritten });
    }, 300_000);
  }

  it('gc -w -f started while repro runs a stage keeps the outputs repro already committed', async () => {
    const root = pipelineProject();
    // a slow last stage that says when it starts; repro keeps the lock, so gc and status wait
    const started = (round: number): string => join(root, '..', `train-started-${round}`);
    let tried = 0;
    for (let round = 0; round < 3; round += 1) {
      const slowTrain = `import { writeFileSync as mark } from 'node:fs';
mark(${JSON.stringify(started(round))}, '');
await new Promise((r) => setTimeout(r, 1500));
${pipelineFiles['src/train.mjs'] ?? ''}`;
      writeFileSync(join(root, 'src', 'train.mjs'), slowTrain);
      writeFiles(root, { 'data/part0/extra.csv': `extra ${round}\n` });
      sluiceOk(root, 'add', 'data');
      const repro = runSluice(root, ['--wait', '120', 'repro']);
      // prepare and featurize are committed (dvc.lock, cache) by the time train starts
      const waitedFrom = Date.now();
      while (!existsSync(started(round)) && Date.now() - waitedFrom < 60_000) await sleep(20);
      expect(existsSync(started(round))).toBe(true);
      const collectors = await Promise.all([
        runSluice(root, ['--wait', '120', 'gc', '-w', '-f']),
        runSluice(root, ['--wait', '120', 'status']),
      ]);
      for (const outcome of [...collectors, await repro]) {
        expect(outcome.code, outcome.stderr).toBe(0);
      }
      tried += 1;
      expectCacheComplete(root);
      expect(sluiceOk(root, 'status').stdout.trim()).toBe(UP_TO_DATE);
      // what repro wrote can be checked out again from the cache
      sluiceOk(root, 'checkout', '-f', '--relink');
    }
    figures.gcDuringRepro = tried;
  }, 120_000);
});

describe('two clones pushing to one remote at once', () => {
  it('the remote holds every object, each hashing right; a third clone pulls everything', async () => {
    const remote = tempDir('sluice-remote-');
    const makeClone = (): string => {
      const project = emptyProject();
      sluiceOk(project.repo, 'remote', 'modify', 'store', 'url', remote);
      return project.repo;
    };
    const first = makeClone();
    const second = makeClone();
    let rounds = 0;
    for (let round = 0; round < 3; round += 1) {
      // overlapping data (same bytes in both) and data of each clone's own
      const shared = dataFiles(500 + round, 80);
      for (const [clone, own] of [
        [first, 'mine-a'],
        [second, 'mine-b'],
      ] as const) {
        const files: Record<string, Buffer> = {};
        for (const [path, data] of Object.entries(shared)) files[`shared${round}/${path}`] = data;
        for (let i = 0; i < 60; i += 1) {
          files[`${own}${round}/f${i}.bin`] = randomBytesFrom(round * 1000 + i + own.length, 8000);
        }
        writeTree(clone, files);
        sluiceOk(clone, 'add', `shared${round}`, `${own}${round}`);
        git(clone, 'add', '-A');
        git(clone, 'commit', '-q', '-m', `round ${round}`);
      }
      const pushes = await Promise.all([
        runSluice(first, ['push', '-j', '8']),
        runSluice(second, ['push', '-j', '8']),
      ]);
      for (const outcome of pushes) expect(outcome.code, outcome.stderr).toBe(0);
      rounds += 1;
    }
    const remoteRoot = join(remote, 'files', 'md5');
    const audit = auditObjects(remoteRoot);
    expect(audit.bad).toEqual([]);
    expect(audit.other).toEqual([]);
    for (const clone of [first, second]) {
      expect(missingObjects(remoteRoot, referencedOids(clone))).toEqual([]);
    }

    // a third clone with both clones' metafiles pulls everything, hash-verified on the way
    const third = tempDir('sluice-third-');
    git(third, 'clone', '-q', first, 'repo');
    const repo = join(third, 'repo');
    for (const name of readdirSync(second).filter((n) => n.startsWith('mine-b'))) {
      if (name.endsWith('.dvc')) {
        writeFileSync(join(repo, name), readFileSync(join(second, name)));
      }
    }
    mkdirSync(join(repo, '.dvc', 'cache'), { recursive: true });
    sluiceOk(repo, 'pull');
    expect(sluiceOk(repo, 'status').stdout.trim()).toBe(UP_TO_DATE);
    for (const clone of [first, second]) {
      for (const path of metafiles(clone)) {
        const target = path.replace(/\.dvc$/, '');
        expect(existsSync(join(repo, target)), target).toBe(true);
      }
    }
    expectCacheComplete(repo);
    figures.clonesRounds = rounds;
    figures.clonesObjects = audit.objects.length;
  }, 120_000);
});

describe('the repo lock', () => {
  function writeLock(root: string, holder: object | string): void {
    mkdirSync(join(root, '.dvc', 'tmp'), { recursive: true });
    writeFileSync(
      join(root, LOCK),
      typeof holder === 'string' ? holder : `${JSON.stringify(holder)}\n`,
    );
  }

  it('a live holder: --wait 1 gives up with one line naming it; a longer wait gets the lock', async () => {
    const project = emptyProject();
    const root = project.repo;
    writeTree(root, { 'a.txt': 'a\n' });
    // this test process is alive on this host: the lock is genuinely held
    writeLock(root, { pid: process.pid, cmd: 'sluice push', host: hostname(), since: 'now' });
    const refused = await runSluice(root, ['--wait', '1', 'add', 'a.txt']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(LOCKED_MESSAGE);
    expect(refused.stderr).toContain(`process ${process.pid} (\`sluice push\``);
    expect(refused.stderr.split('\n').filter((l) => l.startsWith('ERROR'))).toHaveLength(1);
    expect(existsSync(join(root, 'a.txt.dvc'))).toBe(false);

    const waiting = runSluice(root, ['--wait', '30', 'add', 'a.txt']);
    await sleep(1000);
    // the holder finishes: its lock goes away and the waiter proceeds
    (await import('node:fs')).rmSync(join(root, LOCK));
    const outcome = await waiting;
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(existsSync(join(root, 'a.txt.dvc'))).toBe(true);
    figures.lockCases += 2;
  });

  it('a dead holder, and an empty lock left by a process killed while taking it, are taken over', async () => {
    const project = emptyProject();
    const root = project.repo;
    writeTree(root, { 'a.txt': 'a\n', 'b.txt': 'b\n' });
    // a PID that is not running: spawn and reap a short process
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.once('exit', () => resolve(child.pid ?? 0));
    });
    writeLock(root, { pid: dead, cmd: 'sluice add', host: hostname(), since: 'then' });
    const stale = await runSluice(root, ['--wait', '0', 'add', 'a.txt']);
    expect(stale.code, stale.stderr).toBe(0);
    expect(existsSync(join(root, LOCK))).toBe(false);

    writeLock(root, '');
    const past = new Date(Date.now() - 60_000);
    (await import('node:fs')).utimesSync(join(root, LOCK), past, past);
    const empty = await runSluice(root, ['--wait', '10', 'add', 'b.txt']);
    expect(empty.code, empty.stderr).toBe(0);
    expect(existsSync(join(root, 'b.txt.dvc'))).toBe(true);
    expect(existsSync(join(root, LOCK))).toBe(false);
    figures.lockCases += 2;
  });
});

describe('figures', () => {
  it('records them', () => {
    expect(figures.mix).toHaveLength(2);
    expect(figures.clonesRounds).toBe(3);
    const rows = figures.mix.map(
      (f) =>
        `| ${f.processes} | ${f.rounds} | ${f.processes * f.rounds} | ${f.metafileReads} | ${f.halfWritten} |`,
    );
    recordReliability({
      id: '30-concurrency',
      title: 'Concurrency',
      body: `**Processes on one repo.** Each round starts N sluice processes at once on a project with
tracked data and a 3-stage pipeline: \`add\` of new files, \`status\`, \`repro\` (after a
dependency change), \`gc -w -f\` and \`commit -f\`, all with \`--wait 120\`. Meanwhile the test
reads and parses every \`.dvc\`/\`dvc.yaml\`/\`dvc.lock\` in a loop. After each round: every
process exited 0, no lock file is left, every object a metafile names is in the cache and every
cached object hashes to its name (so \`gc\` deleted nothing another process added).

| processes | rounds | runs | metafile reads while they ran | half-written files seen |
|---|---|---|---|---|
${rows.join('\n')}

**gc during repro.** \`gc -w -f\` and \`status\` were started during \`repro\`'s slow last stage
${figures.gcDuringRepro} times. \`repro\` keeps the lock while a stage command runs (only the
command's own \`sluice\` runs share it), so they waited; no committed output was collected, and
\`checkout --relink\` restored everything afterwards.

**Two clones, one remote.** Two clones pushed at once (\`-j 8\` each), ${figures.clonesRounds}
rounds of overlapping (identical bytes in both) and separate data: the remote holds
${figures.clonesObjects} objects, each hashing to its name, with no temporary file left; a third
clone with both clones' metafiles pulled everything.

**The lock.** ${figures.lockCases} cases: a live holder makes \`--wait 1\` give up with one line
naming it, and a waiter proceeds once it is released; a dead holder's lock and an empty lock
(its creator killed between creating and writing it) are taken over.

Rerun: \`npx vitest run test/reliability/concurrency.test.ts\`.`,
    });
  });
});
