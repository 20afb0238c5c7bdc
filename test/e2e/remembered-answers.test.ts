import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  sluiceOk,
  tempDir,
  sluiceWithEnv,
  writeTree,
  type RunResult,
} from '../helpers/sandbox.js';

afterAll(cleanupSandboxes);

/**
 * Remembered answers (src/cli/answer-memo/rememberedAnswer.ts): a `status` or no-op `repro` is
 * answered from the record of the last run while nothing that run read has changed. Each test
 * records an answer, marks the record (its stdout becomes REMEMBERED) so that a replay shows,
 * changes one thing the answer depends on, and expects a fresh answer.
 */

// Files written by a test are read back at once: no settling time before a record is made.
const NOW = { SLUICE_ANSWER_SETTLE_MS: '0' };
const MARK = 'REMEMBERED\n';

const run = (repo: string, ...args: string[]): RunResult => sluiceWithEnv(repo, NOW, ...args);

function recordFile(repo: string, command: string): string {
  return join(repo, '.dvc', 'tmp', 'sluice', 'answers', `${command}.json`);
}

/** Runs the command to record its answer, marks the record, and checks that it is replayed. */
function recordAndMark(repo: string, ...args: string[]): void {
  recordAndMarkWithEnv(repo, {}, ...args);
}

function recordAndMarkWithEnv(repo: string, env: NodeJS.ProcessEnv, ...args: string[]): void {
  const first = sluiceWithEnv(repo, { ...NOW, ...env }, ...args);
  expect(first.stdout).not.toBe(MARK);
  const file = recordFile(repo, args[0]);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { stdout: string };
  stored.stdout = MARK;
  writeFileSync(file, JSON.stringify(stored));
  expect(sluiceWithEnv(repo, { ...NOW, ...env }, ...args).stdout).toBe(MARK);
}

function pipelineRepo(): string {
  const repo = makeRepo('sluice', {
    'params.yaml': 'lr: 0.1\n',
    'code.py': 'print("train")\n',
    'data/a.csv': '1,2\n',
    'data/sub/b.csv': '3,4\n',
    'dvc.yaml': [
      'stages:',
      '  train:',
      '    cmd: cat data/a.csv data/sub/b.csv code.py > model.txt',
      '    deps: [data, code.py]',
      '    params: [lr]',
      '    outs: [model.txt]',
      '',
    ].join('\n'),
  });
  writeTree(repo, { 'raw.csv': 'x,y\n' });
  sluiceOk(repo, 'add', 'raw.csv');
  sluiceOk(repo, 'repro');
  return repo;
}

const UP_TO_DATE = 'Data and pipelines are up to date.\n';

describe('remembered answers', () => {
  it('replays an unchanged status, and answers anew after each kind of change', () => {
    const repo = pipelineRepo();
    expect(run(repo, 'status').stdout).toBe(UP_TO_DATE);

    const changes: [string, () => void, RegExp][] = [
      [
        'a file in a folder dependency, same size',
        () => writeFileSync(join(repo, 'data/sub/b.csv'), '3,5\n'),
        /changed deps:[\s\S]*modified:\s+data/,
      ],
      ['a file added to that folder', () => writeTree(repo, { 'data/c.csv': '5\n' }), /data/],
      ['a parameter', () => writeFileSync(join(repo, 'params.yaml'), 'lr: 0.2\n'), /lr/],
      [
        'the command in dvc.yaml',
        () => {
          const yaml = readFileSync(join(repo, 'dvc.yaml'), 'utf8');
          writeFileSync(join(repo, 'dvc.yaml'), yaml.replace('code.py >', 'code.py  >'));
        },
        /changed command/,
      ],
      [
        'a new stage file in a subfolder',
        () => writeTree(repo, { 'more/dvc.yaml': 'stages:\n  extra:\n    cmd: echo hi\n' }),
        /extra/,
      ],
      ['a tracked file', () => writeFileSync(join(repo, 'raw.csv'), 'x,z\n'), /raw\.csv/],
      ['a tracked file removed', () => rmSync(join(repo, 'raw.csv')), /deleted:\s+raw\.csv/],
    ];
    for (const [what, change, expected] of changes) {
      sluiceOk(repo, 'repro');
      sluiceOk(repo, 'commit', '-f');
      recordAndMark(repo, 'status');
      change();
      const fresh = run(repo, 'status');
      expect(fresh.stdout, what).not.toBe(MARK);
      expect(fresh.stdout, what).toMatch(expected);
    }
  });

  it('knows a large folder by its stamp', () => {
    const repo = makeRepo('sluice');
    const files: Record<string, string> = {};
    // Past SHARED_STAMP_MIN_FILES (4,096): stamped with the helper thread.
    for (let i = 0; i < 4200; i += 1) files[`big/d${i % 7}/f${i}.txt`] = `file ${i}\n`;
    writeTree(repo, files);
    sluiceOk(repo, 'add', 'big');
    recordAndMark(repo, 'status');
    const stored = JSON.parse(readFileSync(recordFile(repo, 'status'), 'utf8')) as {
      paths: unknown[];
      folders: unknown[][];
    };
    expect(stored.folders.map((folder) => folder[1])).toEqual(['big']);
    // The folder's files are not witnesses one by one; in the cache, the (at most 256) folders
    // holding its objects are, not the 4,200 objects: a deleted object changes its folder.
    const inCache = stored.paths.filter((p) => JSON.stringify(p).includes('/.dvc/cache/'));
    expect(stored.paths.length - inCache.length).toBeLessThan(100);
    expect(inCache.length).toBeLessThan(300);
    writeFileSync(join(repo, 'big/d3/f10.txt'), 'file 99\n');
    expect(run(repo, 'status').stdout).toMatch(/modified:\s+big/);
  });

  it('answers anew when a tracked folder loses an object from the cache', () => {
    const repo = makeRepo('sluice');
    writeTree(repo, { 'images/a.txt': 'a\n', 'images/b.txt': 'b\n' });
    sluiceOk(repo, 'add', 'images');
    recordAndMark(repo, 'status');
    // md5 of "b\n"
    rmSync(join(repo, '.dvc/cache/files/md5/3b/5d5c3712955042212316173ccf37be'));
    expect(run(repo, 'status').stdout).toMatch(/not in cache:\s+images/);
  });

  it('answers anew when the cache loses an object or the cache folder moves', () => {
    const repo = pipelineRepo();
    recordAndMark(repo, 'status');
    const lock = readFileSync(join(repo, 'dvc.lock'), 'utf8');
    const md5 = /model\.txt\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})/.exec(lock)?.[1] ?? '';
    expect(md5).toMatch(/^[0-9a-f]{32}$/);
    rmSync(join(repo, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
    expect(run(repo, 'status').stdout).toMatch(/not in cache:\s+model\.txt/);

    sluiceOk(repo, 'commit', '-f');
    recordAndMark(repo, 'status');
    sluiceOk(repo, 'cache', 'dir', join(repo, 'elsewhere'));
    expect(run(repo, 'status').stdout).toMatch(/not in cache/);
  });

  it('keeps one answer per command line and working folder', () => {
    const repo = pipelineRepo();
    recordAndMark(repo, 'status');
    expect(run(repo, 'status', '--json').stdout).toBe('{}\n');
    expect(run(join(repo, 'data'), 'status').stdout).toBe(UP_TO_DATE);
    // Each of those ran and was remembered in its turn; the last one stands now.
    expect(run(join(repo, 'data'), 'status').stdout).toBe(UP_TO_DATE);
  });

  it('replays a no-op repro, and runs the stage once a dependency changes', () => {
    const repo = pipelineRepo();
    expect(run(repo, 'repro').stdout).toContain("Stage 'train' didn't change, skipping");
    recordAndMark(repo, 'repro');
    writeFileSync(join(repo, 'code.py'), 'print("train, again")\n');
    const ran = run(repo, 'repro');
    expect(ran.stdout).toContain("Running stage 'train'");
    expect(readFileSync(join(repo, 'model.txt'), 'utf8')).toContain('again');
  });

  it('does not remember an answer that read files changed just before it', () => {
    const repo = pipelineRepo();
    writeFileSync(join(repo, 'code.py'), 'print("new")\n');
    // With the default settling time (2 s), the file just written keeps the answer unsaved.
    const result = sluiceWithEnv(repo, {}, 'status');
    expect(result.stdout).toMatch(/code\.py/);
    expect(existsSync(recordFile(repo, 'status'))).toBe(false);
  });

  it('is off with SLUICE_ANSWER_MEMO=0', () => {
    const repo = pipelineRepo();
    recordAndMark(repo, 'status');
    const off = { ...NOW, SLUICE_ANSWER_MEMO: '0' };
    expect(sluiceWithEnv(repo, off, 'status').stdout).toBe(UP_TO_DATE);
    rmSync(recordFile(repo, 'status'));
    sluiceWithEnv(repo, off, 'status');
    expect(existsSync(recordFile(repo, 'status'))).toBe(false);
  });

  it('does not remember an error', () => {
    const repo = pipelineRepo();
    const failed = run(repo, 'status', 'nosuchstage');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('does not exist');
    expect(existsSync(recordFile(repo, 'status'))).toBe(false);
  });

  it('does not remember a status that looked at a source outside the repository', () => {
    const repo = pipelineRepo();
    const source = join(tempDir('sluice-outside-'), 'source.csv');
    writeFileSync(source, 'a\n');
    expect(run(repo, 'import-url', source, 'imported.csv').code).toBe(0);
    expect(run(repo, 'unfreeze', 'imported.csv.dvc').code).toBe(0);
    expect(run(repo, 'status').code).toBe(0);
    expect(run(repo, 'status').code).toBe(0);
    expect(existsSync(recordFile(repo, 'status'))).toBe(false);
    writeFileSync(source, 'b\n');
    expect(run(repo, 'status').stdout).toContain('modified');
  });

  it('does not remember a run that wrote to the workspace', () => {
    const repo = pipelineRepo();
    writeFileSync(join(repo, 'code.py'), 'print("new")\n');
    run(repo, 'repro');
    expect(existsSync(recordFile(repo, 'repro'))).toBe(false);
  });

  it('answers anew when XDG_CONFIG_DIRS selects a system config that moves the cache', () => {
    const repo = pipelineRepo();
    const xdg = tempDir('sluice-xdg-');
    mkdirSync(join(xdg, 'dvc'));
    writeFileSync(join(xdg, 'dvc', 'config'), `[cache]\n    dir = ${join(xdg, 'cache')}\n`);
    // Whatever the machine's own system config is, the test's starts empty.
    const empty = tempDir('sluice-xdg-empty-');
    recordAndMarkWithEnv(repo, { XDG_CONFIG_DIRS: empty }, 'status');
    const moved = sluiceWithEnv(repo, { ...NOW, XDG_CONFIG_DIRS: xdg }, 'status');
    expect(moved.stdout).not.toBe(MARK);
    expect(moved.stdout).toMatch(/not in cache/);
  });

  it('witnesses every environment variable the run read, and only those', () => {
    const repo = pipelineRepo();
    recordAndMark(repo, 'status');
    const stored = JSON.parse(readFileSync(recordFile(repo, 'status'), 'utf8')) as {
      env?: { reads: [string, string | null][] };
    };
    const reads = stored.env?.reads ?? [];
    const names = reads.map(([name]) => name);
    // Config loading reads these; none of them is on a list kept by hand.
    expect(names).toEqual(expect.arrayContaining(['XDG_CONFIG_DIRS', 'DVC_SYSTEM_CONFIG_DIR']));
    for (const [name, value] of reads) {
      if (name === 'SLUICE_ANSWER_MEMO') continue; // 0 turns replaying off: no proof either way
      rmSync(recordFile(repo, 'status'));
      recordAndMark(repo, 'status');
      const changed = value === null ? 'changed' : `${value}-changed`;
      expect(sluiceWithEnv(repo, { ...NOW, [name]: changed }, 'status').stdout, name).not.toBe(
        MARK,
      );
    }
    // A variable the run never read changes nothing.
    rmSync(recordFile(repo, 'status'));
    recordAndMark(repo, 'status');
    expect(sluiceWithEnv(repo, { ...NOW, SLUICE_NOT_READ_BY_ANYONE: '1' }, 'status').stdout).toBe(
      MARK,
    );
  });

  /**
   * The core tells the recorder what it reads through explicit hooks (readObserver.ts); one it
   * forgot would replay a stale answer. Each kind of input is changed after an answer was
   * remembered (and marked): whatever the next run shows must be what a fresh run shows, a
   * replay being acceptable only when the fresh answer is the remembered one.
   */
  it('never replays a stale answer after a change to any kind of input the core reads', () => {
    const template = pipelineRepo();
    writeTree(template, {
      'loop/dvc.yaml': 'stages:\n  each:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\n',
    });
    sluiceOk(template, 'repro');
    const elsewhere = tempDir('sluice-elsewhere-');
    const globalDir = tempDir('sluice-global-');
    writeFileSync(join(globalDir, 'config'), `[cache]\n    dir = ${elsewhere}\n`);
    type Change = {
      what: string;
      cwd?: string;
      change: (repo: string) => NodeJS.ProcessEnv | void;
      /** false when the change leaves the answer as it was (a replay is then right). */
      changesAnswer?: boolean;
    };
    const cases: Change[] = [
      {
        what: 'a value in the params file',
        change: (repo) => writeFileSync(join(repo, 'params.yaml'), 'lr: 0.3\n'),
      },
      {
        what: 'a file dependency',
        change: (repo) => writeFileSync(join(repo, 'code.py'), 'print("changed")\n'),
      },
      {
        what: 'a file inside a folder dependency',
        change: (repo) => writeFileSync(join(repo, 'data/a.csv'), '9,9\n'),
      },
      {
        what: 'a stage in dvc.yaml',
        change: (repo) =>
          writeFileSync(
            join(repo, 'dvc.yaml'),
            readFileSync(join(repo, 'dvc.yaml'), 'utf8').replace('> model.txt', '>  model.txt'),
          ),
      },
      {
        what: 'dvc.lock',
        change: (repo) =>
          writeFileSync(
            join(repo, 'dvc.lock'),
            readFileSync(join(repo, 'dvc.lock'), 'utf8').replace(/(md5: )[0-9a-f]/, '$10'),
          ),
      },
      {
        what: '.dvc/config (the cache moved)',
        change: (repo) =>
          writeFileSync(join(repo, '.dvc/config'), `[cache]\n    dir = ${elsewhere}\n`),
      },
      {
        what: '.dvc/config.local (the cache moved)',
        change: (repo) =>
          writeFileSync(join(repo, '.dvc/config.local'), `[cache]\n    dir = ${elsewhere}\n`),
      },
      {
        what: 'a .dvcignore rule over a folder dependency',
        change: (repo) => writeFileSync(join(repo, '.dvcignore'), 'data/sub\n'),
      },
      {
        what: 'DVC_GLOBAL_CONFIG_DIR, read with the config',
        change: () => ({ DVC_GLOBAL_CONFIG_DIR: globalDir }),
      },
      {
        what: 'SLUICE_MAX_STAGES, read when a foreach expands',
        change: () => ({ SLUICE_MAX_STAGES: '1' }),
      },
      {
        what: 'a .dvc folder between the working folder and the root',
        cwd: 'data',
        change: (repo) => mkdirSync(join(repo, 'data/.dvc')),
      },
      {
        what: 'git HEAD (a commit)',
        change: (repo) => {
          git(repo, 'add', '-A');
          git(repo, 'commit', '-q', '-m', 'more');
        },
        changesAnswer: false,
      },
      {
        what: 'the git config (a bare repository: git is asked)',
        change: (repo) => git(repo, 'config', 'core.bare', 'true'),
        changesAnswer: false,
      },
    ];
    for (const { what, cwd, change, changesAnswer } of cases) {
      const repo = tempDir('sluice-input-');
      cpSync(template, repo, { recursive: true });
      const where = cwd === undefined ? repo : join(repo, cwd);
      const original = run(where, 'status').stdout;
      const record = recordFile(repo, 'status');
      const stored = JSON.parse(readFileSync(record, 'utf8')) as { stdout: string };
      writeFileSync(record, JSON.stringify({ ...stored, stdout: MARK }));
      expect(run(where, 'status').stdout, what).toBe(MARK);
      const env = change(repo) ?? {};
      const fresh = sluiceWithEnv(where, { ...NOW, ...env, SLUICE_ANSWER_MEMO: '0' }, 'status');
      if (changesAnswer !== false) expect(fresh.stdout, what).not.toBe(original);
      const shown = sluiceWithEnv(where, { ...NOW, ...env }, 'status').stdout;
      expect(shown === MARK ? original : shown, what).toBe(fresh.stdout);
    }
  });
});
