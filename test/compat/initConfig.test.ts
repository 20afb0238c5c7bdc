import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvc,
  dvcOk,
  git,
  type RunResult,
  sluice,
  sluiceOk,
  tempDir,
} from '../helpers/sandbox.js';

/** `init` and `config` compared with real DVC, byte for byte. */

afterEach(() => cleanupSandboxes());

type Tool = 'sluice' | 'dvc';
const tools: Tool[] = ['dvc', 'sluice'];

function run(tool: Tool, cwd: string, ...args: string[]): RunResult {
  return tool === 'sluice' ? sluice(cwd, ...args) : dvc(cwd, ...args);
}
function runOk(tool: Tool, cwd: string, ...args: string[]): RunResult {
  return tool === 'sluice' ? sluiceOk(cwd, ...args) : dvcOk(cwd, ...args);
}

function maybeRead(root: string, path: string): string | null {
  const abs = join(root, path);
  return existsSync(abs) ? readFileSync(abs, 'utf8') : null;
}

function initFiles(root: string): Record<string, string | null> {
  return {
    '.dvc/config': maybeRead(root, '.dvc/config'),
    '.dvc/.gitignore': maybeRead(root, '.dvc/.gitignore'),
    '.dvcignore': maybeRead(root, '.dvcignore'),
    '.dvc/config.local': maybeRead(root, '.dvc/config.local'),
  };
}

function gitRepo(): string {
  const root = tempDir();
  git(root, 'init', '-q', '-b', 'main');
  return root;
}

describe('init', () => {
  it('same .dvc/config, .dvc/.gitignore and .dvcignore as dvc init', () => {
    const results = tools.map((tool) => {
      const root = gitRepo();
      runOk(tool, root, 'init');
      return {
        files: initFiles(root),
        cacheCreated: existsSync(join(root, '.dvc/cache')),
        staged: git(root, 'diff', '--cached', '--name-only').stdout,
      };
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[1]?.files['.dvc/.gitignore']).toBe('/config.local\n/tmp\n/cache\n');
    expect(results[1]?.files['.dvc/config']).toBe('');
  });

  it('init --no-scm', () => {
    const results = tools.map((tool) => {
      const root = tempDir();
      runOk(tool, root, 'init', '--no-scm');
      return { files: initFiles(root), entries: readdirSync(join(root, '.dvc')).sort() };
    });
    expect(results[1]?.files).toEqual(results[0]?.files);
    expect(results[1]?.files['.dvc/config']).toBe('[core]\n    no_scm = True\n');
  });

  it('init outside a git repo without --no-scm fails with exit 1, twice fails, -f works', () => {
    const results = tools.map((tool) => {
      const bare = tempDir();
      const noGit = run(tool, bare, 'init');
      const root = gitRepo();
      runOk(tool, root, 'init');
      const again = run(tool, root, 'init');
      const forced = run(tool, root, 'init', '-f');
      return {
        noGit: noGit.code,
        noGitCreated: existsSync(join(bare, '.dvc')),
        again: again.code,
        forced: forced.code,
        files: initFiles(root),
      };
    });
    expect(results[1]).toEqual(results[0]);
  });

  it('init in a subdirectory of a git repo needs --subdir', () => {
    const results = tools.map((tool) => {
      const root = gitRepo();
      git(root, 'commit', '-q', '--allow-empty', '-m', 'x');
      const sub = join(root, 'sub');
      const plain = run(tool, root, 'init', 'sub');
      const withSubdir = tempDir();
      git(withSubdir, 'init', '-q', '-b', 'main');
      const subdir = join(withSubdir, 'project');
      mkdirSync(subdir);
      const r = run(tool, withSubdir, 'init', '--subdir', 'project');
      return {
        plain: plain.code,
        plainCreated: existsSync(join(sub, '.dvc')),
        subdir: r.code,
        subdirFiles: r.code === 0 ? initFiles(subdir) : null,
      };
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe('init into a folder that does not exist yet', () => {
  it('init --subdir project creates project/ like dvc', () => {
    const results = tools.map((tool) => {
      const root = gitRepo();
      const r = run(tool, root, 'init', '--subdir', 'project');
      return { code: r.code, files: initFiles(join(root, 'project')) };
    });
    expect(results[1]).toEqual(results[0]);
  });
});

describe('config', () => {
  function configAfter(tool: Tool, ...commands: string[][]): Record<string, string | null> {
    const root = gitRepo();
    dvcOk(root, 'init', '-q');
    for (const args of commands) runOk(tool, root, 'config', ...args);
    return initFiles(root);
  }

  it('core.autostage true', () => {
    const [d, s] = tools.map((t) => configAfter(t, ['core.autostage', 'true']));
    expect(s).toEqual(d);
    expect(s?.['.dvc/config']).toBe('[core]\n    autostage = true\n');
  });

  it('cache.type hardlink,symlink is quoted like configobj does', () => {
    const [d, s] = tools.map((t) => configAfter(t, ['cache.type', 'hardlink,symlink']));
    expect(s).toEqual(d);
    expect(s?.['.dvc/config']).toBe('[cache]\n    type = "hardlink,symlink"\n');
  });

  it('two sections, then --unset, then --local', () => {
    const steps = [
      ['core.autostage', 'true'],
      ['cache.type', 'hardlink,symlink'],
      ['--unset', 'cache.type'],
      ['--local', 'core.autostage', 'false'],
      ['core.check_update', 'false'],
    ];
    const [d, s] = tools.map((t) => configAfter(t, ...steps));
    expect(s).toEqual(d);
  });

  it('reading a value prints the merged value', () => {
    const results = tools.map((tool) => {
      const root = gitRepo();
      dvcOk(root, 'init', '-q');
      runOk(tool, root, 'config', 'core.autostage', 'true');
      runOk(tool, root, 'config', '--local', 'core.autostage', 'false');
      const get = run(tool, root, 'config', 'core.autostage');
      const missing = run(tool, root, 'config', 'core.remote');
      return { get: get.stdout, getCode: get.code, missingCode: missing.code };
    });
    expect(results[1]).toEqual(results[0]);
  });

  it('an unknown option is refused with the same exit code', () => {
    const results = tools.map((tool) => {
      const root = gitRepo();
      dvcOk(root, 'init', '-q');
      const r = run(tool, root, 'config', 'core.nonsense', 'x');
      return { code: r.code, config: maybeRead(root, '.dvc/config') };
    });
    expect(results[1]).toEqual(results[0]);
  });
});
