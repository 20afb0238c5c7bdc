import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Config,
  formatConfigValue,
  parseConfigName,
  type ConfigLevel,
} from '../../../../src/core/6-repo/config/index.js';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { dvcBinary, requireTool } from '../../../helpers/tools.js';

// ---------------------------------------------------------------------------------------------
// The same edits through real DVC and through Config must leave the same bytes.

const dvc = requireTool(dvcBinary, 'scripts/ensure-tools.sh');

interface Side {
  root: string;
  env: NodeJS.ProcessEnv;
}

function makeSide(base: string, name: string): Side {
  const root = join(base, name);
  const globalDir = join(base, `${name}-global`);
  const systemDir = join(base, `${name}-system`);
  mkdirSync(join(root, '.dvc'), { recursive: true });
  mkdirSync(join(root, 'sub'));
  const env = {
    ...process.env,
    DVC_GLOBAL_CONFIG_DIR: globalDir,
    DVC_SYSTEM_CONFIG_DIR: systemDir,
    DVC_NO_ANALYTICS: '1',
  };
  return { root, env };
}

function runDvc(side: Side, args: string[], cwd = side.root): { code: number; stderr: string } {
  const result = spawnSync(dvc, args, { cwd, env: side.env, encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  return { code: result.status ?? -1, stderr: result.stderr };
}

function files(side: Side): Record<string, string> {
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '<missing>';
    }
  };
  return {
    repo: read(join(side.root, '.dvc', 'config')),
    local: read(join(side.root, '.dvc', 'config.local')),
    global: read(join(side.env.DVC_GLOBAL_CONFIG_DIR!, 'config')),
  };
}

type Op = (config: Config, side: Side) => Promise<void>;

interface Step {
  dvc: string[];
  cwd?: string;
  sluice: Op;
  /** Expected DVC exit code (the Sluice side must then throw the same message). */
  fails?: number;
}

const set =
  (level: ConfigLevel, name: string, value: string, cwdSub = ''): Op =>
  async (config, side) => {
    const { section, key } = parseConfigName(name);
    await config.set(level, section, key, value, { cwd: join(side.root, cwdSub) });
  };

const unset =
  (level: ConfigLevel, name: string): Op =>
  async (config) => {
    const { section, key } = parseConfigName(name);
    await config.unset(level, section, key);
  };

const remoteAdd =
  (name: string, url: string, makeDefault: boolean): Op =>
  async (config, side) => {
    await config.edit(
      'repo',
      (data) => {
        data[`remote "${name}"`] = { url };
        if (makeDefault) (data.core ??= {}).remote = name;
      },
      { cwd: side.root },
    );
  };

const steps: Step[] = [
  { dvc: ['config', 'core.remote', 'x'], sluice: set('repo', 'core.remote', 'x') },
  { dvc: ['remote', 'add', '-d', 's3', 's3://b/p'], sluice: remoteAdd('s3', 's3://b/p', true) },
  {
    dvc: ['config', 'cache.type', 'reflink,copy'],
    sluice: set('repo', 'cache.type', 'reflink,copy'),
  },
  {
    dvc: ['remote', 'add', 'mylocal', '../path/to/dir'],
    sluice: remoteAdd('mylocal', '../path/to/dir', false),
  },
  {
    dvc: ['remote', 'modify', '--local', 's3', 'access_key_id', 'abc'],
    sluice: set('local', 'remote.s3.access_key_id', 'abc'),
  },
  {
    dvc: ['remote', 'modify', 's3', 'region', 'us east'],
    sluice: set('repo', 'remote.s3.region', 'us east'),
  },
  {
    dvc: ['remote', 'modify', 's3', 'sse', ' lead#'],
    sluice: set('repo', 'remote.s3.sse', ' lead#'),
  },
  {
    dvc: ['remote', 'modify', 's3', 'acl', `it's "x"`],
    sluice: set('repo', 'remote.s3.acl', `it's "x"`),
  },
  { dvc: ['remote', 'modify', 's3', 'profile', ''], sluice: set('repo', 'remote.s3.profile', '') },
  {
    dvc: ['config', 'cache.dir', '../cc'],
    cwd: 'sub',
    sluice: set('repo', 'cache.dir', '../cc', 'sub'),
  },
  { dvc: ['config', 'plots.auto_open', 'true'], sluice: set('repo', 'plots.auto_open', 'true') },
  { dvc: ['config', 'core.autostage', 'TRUE'], sluice: set('repo', 'core.autostage', 'TRUE') },
  { dvc: ['config', 'db.x.url', 'foo'], sluice: set('repo', 'db.x.url', 'foo') },
  { dvc: ['config', '-u', 'db.x.url'], sluice: unset('repo', 'db.x.url') },
  { dvc: ['config', '-u', 'core.remote'], sluice: unset('repo', 'core.remote') },
  {
    dvc: ['config', '--global', 'core.analytics', 'false'],
    sluice: set('global', 'core.analytics', 'false'),
  },
  { dvc: ['config', 'foo.bar', '1'], sluice: set('repo', 'foo.bar', '1'), fails: 251 },
  { dvc: ['config', 'core.foo', '1'], sluice: set('repo', 'core.foo', '1'), fails: 251 },
  {
    dvc: ['config', 'core.autostage', 'maybe'],
    sluice: set('repo', 'core.autostage', 'maybe'),
    fails: 251,
  },
  {
    dvc: ['config', 'core.checksum_jobs', '0'],
    sluice: set('repo', 'core.checksum_jobs', '0'),
    fails: 251,
  },
  { dvc: ['config', 'cache.shared', 'x'], sluice: set('repo', 'cache.shared', 'x'), fails: 251 },
  {
    dvc: ['remote', 'modify', 's3', 'foo', '1'],
    sluice: set('repo', 'remote.s3.foo', '1'),
    fails: 251,
  },
  {
    dvc: ['remote', 'add', 'z', 'ftp://x/y'],
    sluice: remoteAdd('z', 'ftp://x/y', false),
    fails: 251,
  },
  {
    dvc: ['config', '--local', 'remote.nope.jobs', '2'],
    sluice: set('local', 'remote.nope.jobs', '2'),
    fails: 251,
  },
  { dvc: ['config', '-u', 'core.nonexist'], sluice: unset('repo', 'core.nonexist'), fails: 251 },
  { dvc: ['config', '-u', 'foo.bar'], sluice: unset('repo', 'foo.bar'), fails: 251 },
  { dvc: ['config', '-u', 'remote.b.url'], sluice: unset('repo', 'remote.b.url'), fails: 251 },
];

const HAND_EDITED = [
  '# a comment that DVC drops',
  '[\'remote "Old"\']',
  '    URL = ./x/../storage   # inline',
  '[cache]',
  '    type = copy, symlink',
  '    dir = /abs/cache',
  '[core]',
  '    remote = old',
  '',
].join('\n');

function dvcList(side: Side): string {
  const result = spawnSync(dvc, ['config', '-l'], {
    cwd: side.root,
    env: side.env,
    encoding: 'utf8',
  });
  return result.stdout;
}

function sluiceList(config: Config): string {
  return config
    .list()
    .map((e) => `${e.name}=${formatConfigValue(e.value)}\n`)
    .join('');
}

/**
 * Runs the DVC side of all steps in one Python process (DVC's own `main`, as the `dvc` script
 * does), which is much faster than one process per step. Records exit code, stderr, the files and
 * `dvc config -l` after each step.
 */
const DVC_STEPS_SCRIPT = `
import contextlib, io, json, os, sys, tempfile
from dvc.cli import main

def run(args):
    out = io.StringIO()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tf:
        sys.stderr.flush(); os.dup2(tf.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out):
                rc = main(args)
        finally:
            sys.stderr.flush(); os.dup2(saved, 2); os.close(saved)
        tf.seek(0)
        return rc, out.getvalue(), tf.read().decode()

def read(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except FileNotFoundError:
        return '<missing>'

data = json.loads(sys.stdin.read())
root = data['root']
results = []
for step in data['steps']:
    os.chdir(os.path.join(root, step['cwd']))
    rc, _, err = run(step['args'])
    os.chdir(root)
    files = {
        'repo': read(os.path.join(root, '.dvc', 'config')),
        'local': read(os.path.join(root, '.dvc', 'config.local')),
        'global': read(os.path.join(os.environ['DVC_GLOBAL_CONFIG_DIR'], 'config')),
    }
    _, listing, _ = run(['config', '-l'])
    results.append({'code': rc, 'stderr': err, 'files': files, 'list': listing})
sys.stdout.write(json.dumps(results))
`;

interface DvcStepResult {
  code: number;
  stderr: string;
  files: Record<string, string>;
  list: string;
}

function runDvcSteps(side: Side, list: Step[]): DvcStepResult[] {
  const python = requireTool(join(dirname(dvc), 'python'), 'scripts/ensure-tools.sh');
  const input = JSON.stringify({
    root: side.root,
    steps: list.map((step) => ({ args: step.dvc, cwd: step.cwd ?? '' })),
  });
  const result = spawnSync(python, ['-c', DVC_STEPS_SCRIPT], {
    input,
    env: side.env,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) throw new Error(`DVC steps failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as DvcStepResult[];
}

describe('edits match real DVC byte for byte', () => {
  it('runs the same edits', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const a = makeSide(base, 'dvc');
    const b = makeSide(base, 'sluice');
    for (const side of [a, b]) writeFileSync(join(side.root, '.dvc', 'config'), '');
    const expected = runDvcSteps(a, steps);

    for (const [i, step] of steps.entries()) {
      const label = step.dvc.join(' ');
      const result = expected[i];
      const config = await Config.load(join(b.root, '.dvc'), { env: b.env, validate: false });
      let thrown: unknown;
      try {
        await step.sluice(config, b);
      } catch (error) {
        thrown = error;
      }
      if (step.fails === undefined) {
        expect(result.code, `${label}: ${result.stderr}`).toBe(0);
        expect(thrown, label).toBeUndefined();
      } else {
        expect(result.code, label).toBe(step.fails);
        expect(thrown, label).toBeInstanceOf(SluiceError);
        const error = thrown as SluiceError;
        expect(error.exitCode, label).toBe(step.fails);
        expect(`ERROR: ${error.message}`, label).toBe(result.stderr.trim().split('\n')[0]);
      }
      expect(files(b), label).toEqual(result.files);
      const reloaded = await Config.load(join(b.root, '.dvc'), { env: b.env, validate: false });
      expect(sluiceList(reloaded), label).toBe(result.list.replaceAll(a.root, b.root));
    }
  });

  it('rewrites a hand-edited file as DVC does', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const a = makeSide(base, 'dvc');
    const b = makeSide(base, 'sluice');
    for (const side of [a, b]) writeFileSync(join(side.root, '.dvc', 'config'), HAND_EDITED);

    const config = await Config.load(join(b.root, '.dvc'), { env: b.env });
    expect(sluiceList(config)).toBe(dvcList(a).replaceAll(a.root, b.root));
    expect(config.remoteNames()).toEqual(['old']);
    expect(config.remote('old')).toEqual({ url: join(b.root, '.dvc', 'storage') });
    expect(config.get('cache', 'type')).toEqual(['copy', 'symlink']);

    expect(runDvc(a, ['config', 'core.autostage', 'true']).code).toBe(0);
    await config.set('repo', 'core', 'autostage', 'true');
    expect(files(b)).toEqual(files(a));
    expect(config.get('core', 'autostage')).toBe('true');
  });

  it('validates on load like DVC', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    const a = makeSide(base, 'dvc');
    writeFileSync(join(a.root, '.dvc', 'config.local'), '[core]\n    foo = 1\n');
    spawnSync('git', ['init', '-q'], { cwd: a.root });
    const result = runDvc(a, ['status']);
    expect(result.code).toBe(251);
    const load = Config.load(join(a.root, '.dvc'), { env: a.env });
    await expect(load).rejects.toThrow(result.stderr.trim().replace(/^ERROR: /, ''));
  });
});
