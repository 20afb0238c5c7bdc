import fs, { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initRepo, openRepo } from '../../../../src/core/index.js';
import type { ReadObserver } from '../../../../src/core/2-fs/readObserver.js';
import { Repo } from '../../../../src/core/6-repo/repo.js';
import { StageIndex, stagesForTargets } from '../../../../src/core/7-metafiles/stageIndex.js';
import { repoStatus } from '../../../../src/core/9-ops/pipeline/stageStatus.js';
import { repro } from '../../../../src/core/9-ops/pipeline/repro.js';
import { withRepoLock } from '../../../../src/core/9-ops/withRepoLock.js';

/**
 * The core reports what it reads to the Repo's ReadObserver (src/core/2-fs/readObserver.ts);
 * the answer memo replays an answer while nothing reported has changed, so a read the core
 * makes without reporting it could replay a stale answer. Here the test itself watches Node's
 * file functions while `status` and a no-op `repro` run, and every path they read in the
 * repository or the config folders must have been reported (or lie in a folder reported by
 * its stamp, or in Sluice's own state under `.dvc/tmp`).
 */

const work = mkdtempSync(join(tmpdir(), 'sluice-observer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

class TestObserver implements ReadObserver {
  readonly reads = new Set<string>();
  readonly folders = new Set<string>();
  readonly env = new Set<string>();
  readonly unwitnessed: string[] = [];
  onRead(absPath: string): void {
    this.reads.add(absPath);
  }
  onEnv(name: string): void {
    this.env.add(name);
  }
  onFolder<T>(absDir: string, _relDir: string, stamp: () => { result: T; digest: string }): T {
    this.folders.add(absDir);
    return stamp().result;
  }
  onUnwitnessed(what: string): void {
    this.unwitnessed.push(what);
  }
}

type AnyFunction = (...args: unknown[]) => unknown;
const READS = ['access', 'exists', 'lstat', 'opendir', 'readdir', 'readFile', 'readlink', 'stat'];

/** Every path Node's file functions are asked to read while `fn` runs (made absolute). */
async function pathsRead(fn: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  const restores: (() => void)[] = [];
  const wrap = (owner: Record<string, AnyFunction>, name: string): void => {
    const original = owner[name];
    if (typeof original !== 'function') return;
    const watched = function (this: unknown, ...args: unknown[]): unknown {
      if (typeof args[0] === 'string') seen.add(resolve(args[0]));
      return original.apply(this, args);
    };
    Object.assign(watched, original);
    owner[name] = watched;
    restores.push(() => (owner[name] = original));
  };
  const files = fs as unknown as Record<string, AnyFunction>;
  const promises = fs.promises as unknown as Record<string, AnyFunction>;
  for (const name of [...READS, 'open', 'realpath']) {
    wrap(files, `${name}Sync`);
    wrap(files, name);
    wrap(promises, name);
  }
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    for (const restore of restores.reverse()) restore();
    syncBuiltinESMExports();
  }
  return seen;
}

const within = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/** The reads under `roots` that the observer was not told of. */
function unreported(seen: Set<string>, observer: TestObserver, roots: string[]): string[] {
  return [...seen].filter(
    (path) =>
      roots.some((root) => within(path, root)) &&
      !roots.some((root) => within(path, join(root, '.dvc', 'tmp'))) &&
      !observer.reads.has(path) &&
      ![...observer.folders].some((folder) => within(path, folder)),
  );
}

let saved: NodeJS.ProcessEnv;
beforeEach(() => {
  saved = { ...process.env };
});
afterEach(() => {
  process.env = saved;
});

async function pipelineRepo(): Promise<{ root: string; configDirs: string[] }> {
  const root = mkdtempSync(join(work, 'repo-'));
  const globalDir = mkdtempSync(join(work, 'global-'));
  const systemDir = mkdtempSync(join(work, 'system-'));
  writeFileSync(join(globalDir, 'config'), '[core]\n    check_update = false\n');
  writeFileSync(join(systemDir, 'config'), '');
  process.env.DVC_GLOBAL_CONFIG_DIR = globalDir;
  process.env.DVC_SYSTEM_CONFIG_DIR = systemDir;
  const { spawnSync } = await import('node:child_process');
  spawnSync('git', ['init', '-q'], { cwd: root });
  const sluice = await initRepo(root);
  mkdirSync(join(root, 'data', 'sub'), { recursive: true });
  writeFileSync(join(root, 'data', 'a.csv'), '1,2\n');
  writeFileSync(join(root, 'data', 'sub', 'b.csv'), '3,4\n');
  writeFileSync(join(root, '.dvcignore'), 'data/*.tmp\n');
  writeFileSync(join(root, 'params.yaml'), 'lr: 0.1\nvalues: [x, y]\n');
  writeFileSync(join(root, 'code.py'), 'print(1)\n');
  writeFileSync(join(root, 'raw.csv'), 'x,y\n');
  writeFileSync(
    join(root, 'dvc.yaml'),
    [
      'stages:',
      '  train:',
      '    cmd: cat data/a.csv code.py > model.txt',
      '    deps: [data, code.py]',
      '    params: [lr]',
      '    outs: [model.txt]',
      '  each:',
      '    foreach: ${values}',
      '    do:',
      '      cmd: echo ${item} > out-${item}.txt',
      '      outs:',
      "      - 'out-${item}.txt'",
      '',
    ].join('\n'),
  );
  await sluice.add('raw.csv');
  await sluice.repro();
  const again = await openRepo(root);
  expect((await again.status()).clean).toBe(true);
  return { root, configDirs: [globalDir, systemDir] };
}

describe('the reads the core reports to its observer', () => {
  it('covers every file and folder a no-op status reads', async () => {
    const { root, configDirs } = await pipelineRepo();
    const observer = new TestObserver();
    const seen = await pathsRead(async () => {
      const repo = await Repo.open(root, { observer });
      await withRepoLock(
        repo,
        async () => {
          const index = StageIndex.load(repo);
          const changes = await repoStatus(repo, index, stagesForTargets(index, [], ''), '');
          expect(changes).toEqual({});
        },
        { sweep: 'records' },
      );
    });
    expect(unreported(seen, observer, [root, ...configDirs])).toEqual([]);
    // What the check stands on: the run did read these, and said so.
    for (const name of ['dvc.yaml', 'dvc.lock', 'params.yaml', 'raw.csv.dvc', 'code.py']) {
      expect(observer.reads).toContain(join(root, name));
    }
    expect(observer.reads).toContain(join(root, '.dvc', 'config'));
    expect(observer.reads).toContain(join(configDirs[0], 'config'));
    expect(observer.folders).toContain(join(root, 'data'));
    expect(observer.env).toEqual(
      expect.objectContaining(new Set(['DVC_GLOBAL_CONFIG_DIR', 'XDG_CONFIG_HOME', 'GIT_DIR'])),
    );
    for (const name of ['DVC_GLOBAL_CONFIG_DIR', 'DVC_SYSTEM_CONFIG_DIR', 'SLUICE_MAX_STAGES']) {
      expect(observer.env.has(name), name).toBe(true);
    }
    expect(observer.unwitnessed).toEqual([]);
  });

  it('covers every file and folder a no-op repro reads', async () => {
    const { root, configDirs } = await pipelineRepo();
    const observer = new TestObserver();
    const seen = await pathsRead(async () => {
      const repo = await Repo.open(root, { observer });
      await withRepoLock(repo, async () => {
        const result = await repro(repo, { cwd: root, targets: [], events: { message: () => {} } });
        expect(result.reproduced).toEqual([]);
      });
    });
    expect(unreported(seen, observer, [root, ...configDirs])).toEqual([]);
    expect(observer.unwitnessed).toEqual([]);
  });

  it('reports what no witness stands for: a stage run, a workspace write', async () => {
    const { root } = await pipelineRepo();
    writeFileSync(join(root, 'code.py'), 'print(2)\n');
    const observer = new TestObserver();
    const repo = await Repo.open(root, { observer });
    await withRepoLock(repo, async () => {
      const result = await repro(repo, { cwd: root, targets: [], events: { message: () => {} } });
      expect(result.reproduced).toEqual(['train']);
    });
    expect(observer.unwitnessed).toEqual(
      expect.arrayContaining(['stage train reproduced', 'workspace write dvc.lock']),
    );
  });
});
