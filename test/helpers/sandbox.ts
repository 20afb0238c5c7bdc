import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dvcBinary, requireTool } from './tools.js';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sluiceBin = join(projectRoot, 'bin', 'sluice');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const testEnv: NodeJS.ProcessEnv = {
  ...process.env,
  DVC_NO_ANALYTICS: '1',
  GIT_AUTHOR_NAME: 'Sluice Tests',
  GIT_AUTHOR_EMAIL: 'tests@localhost',
  GIT_COMMITTER_NAME: 'Sluice Tests',
  GIT_COMMITTER_EMAIL: 'tests@localhost',
  // keep DVC's per-machine state inside the sandbox, never in /var/tmp
  DVC_SITE_CACHE_DIR: join(tmpdir(), 'sluice-tests-dvc-site-cache'),
  NO_COLOR: '1',
};

function run(
  command: string,
  args: string[],
  cwd: string,
  input?: string,
  env: NodeJS.ProcessEnv = testEnv,
): RunResult {
  const result = spawnSync(command, args, {
    cwd,
    env,
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the real `bin/sluice` (the built CLI). */
export function sluice(cwd: string, ...args: string[]): RunResult {
  if (!existsSync(join(projectRoot, 'dist', 'cli', 'sluice.mjs'))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  return run(process.execPath, [sluiceBin, ...args], cwd);
}

/** Runs the real `bin/sluice` with these variables added to the tests' environment. */
export function sluiceWithEnv(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): RunResult {
  return run(process.execPath, [sluiceBin, ...args], cwd, undefined, { ...testEnv, ...env });
}

/** Runs the real DVC installed by scripts/ensure-tools.sh. */
export function dvc(cwd: string, ...args: string[]): RunResult {
  requireTool(dvcBinary, 'scripts/ensure-tools.sh');
  return run(dvcBinary, args, cwd);
}

export function git(cwd: string, ...args: string[]): RunResult {
  const result = run('git', args, cwd);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

/** Like `sluice` but throws with the output when the exit code is not 0. */
export function sluiceOk(cwd: string, ...args: string[]): RunResult {
  const result = sluice(cwd, ...args);
  if (result.code !== 0) {
    throw new Error(
      `sluice ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

export function dvcOk(cwd: string, ...args: string[]): RunResult {
  const result = dvc(cwd, ...args);
  if (result.code !== 0) {
    throw new Error(
      `dvc ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

const created: string[] = [];

/** A fresh temporary folder, removed by `cleanupSandboxes`. */
export function tempDir(prefix = 'sluice-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function cleanupSandboxes(): void {
  for (const dir of created.splice(0)) {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a tree of files: `{ 'data/a.txt': 'a', 'run.sh': { content, mode } }`. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

export function read(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** A git repository with `tool init` done and committed. */
export function makeRepo(
  tool: 'sluice' | 'dvc' = 'sluice',
  files: Record<string, string> = {},
): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'gc.auto', '0');
  if (tool === 'sluice') sluiceOk(dir, 'init');
  else dvcOk(dir, 'init', '-q');
  writeTree(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}
