import { spawn } from 'node:child_process';
import { accessSync, constants, cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { cp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { git, sluiceBin, sluiceOk, writeTree } from '../helpers/sandbox.js';

/** Realistic small projects for the reliability tests, and a seeded random source. */

/** mulberry32: a small seeded generator, so a failing kill point can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` pseudo-random bytes from `seed` (incompressible, unlike repeated text). */
export function randomBytesFrom(seed: number, size: number): Buffer {
  const next = seededRandom(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) out.writeUInt32LE(Math.floor(next() * 4294967296), i);
  for (let i = size - (size % 4); i < size; i += 1) out[i] = Math.floor(next() * 256);
  return out;
}

/** A folder of `count` small files in a few subfolders, plus two MB-sized files. */
export function dataFiles(seed: number, count = 300): Record<string, Buffer> {
  const next = seededRandom(seed);
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < count; i += 1) {
    const size = 64 + Math.floor(next() * 4000);
    files[`data/part${i % 6}/f${String(i).padStart(4, '0')}.csv`] = Buffer.from(
      `id,value\n${i},${seed}\n`.padEnd(size, String.fromCharCode(97 + (i % 26))),
    );
  }
  files['big1.bin'] = randomBytesFrom(seed + 1, 2 * 1024 * 1024);
  files['big2.bin'] = randomBytesFrom(seed + 2, 1536 * 1024);
  return files;
}

/**
 * A 3-stage pipeline of node scripts: prepare (data/ → prepared/), featurize (prepared/ →
 * features.bin, about 1 MB), train (features.bin → model.bin + metrics.json). The scripts
 * write each file under a temporary name and rename it, as a careful training script does:
 * a kill in the middle of a stage command's own write would otherwise leave a half-written
 * output, which is the script's doing, not Sluice's, and the kill-point suite checks Sluice.
 */
export const pipelineFiles: Record<string, string> = {
  'src/prepare.mjs': `import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
const write = (path, data) => { writeFileSync(path + '.tmp', data); renameSync(path + '.tmp', path); };
mkdirSync('prepared', { recursive: true });
for (const part of readdirSync('data').sort()) {
  const rows = readdirSync('data/' + part).sort().map((f) => readFileSync('data/' + part + '/' + f, 'utf8'));
  write('prepared/' + part + '.txt', rows.join('\\n').toUpperCase());
}
`,
  'src/featurize.mjs': `import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
const write = (path, data) => { writeFileSync(path + '.tmp', data); renameSync(path + '.tmp', path); };
const chunks = [];
for (const f of readdirSync('prepared').sort()) {
  let h = readFileSync('prepared/' + f);
  for (let i = 0; i < 8192; i += 1) { h = createHash('sha256').update(h).digest(); chunks.push(h); }
}
write('features.bin', Buffer.concat(chunks).subarray(0, 1024 * 1024));
`,
  'src/train.mjs': `import { readFileSync, renameSync, writeFileSync } from 'node:fs';
const write = (path, data) => { writeFileSync(path + '.tmp', data); renameSync(path + '.tmp', path); };
const f = readFileSync('features.bin');
let sum = 0;
for (const b of f) sum = (sum + b) % 1000003;
write('model.bin', Buffer.concat([f.subarray(0, 300000), Buffer.from(String(sum))]));
write('metrics.json', JSON.stringify({ sum, bytes: f.length }) + '\\n');
`,
  'dvc.yaml': `stages:
  prepare:
    cmd: node src/prepare.mjs
    deps:
      - src/prepare.mjs
      - data
    outs:
      - prepared
  featurize:
    cmd: node src/featurize.mjs
    deps:
      - src/featurize.mjs
      - prepared
    outs:
      - features.bin
  train:
    cmd: node src/train.mjs
    deps:
      - src/train.mjs
      - features.bin
    outs:
      - model.bin
    metrics:
      - metrics.json:
          cache: false
`,
};

export interface Project {
  /** Parent folder holding `repo/` and `remote/` (copied as one for each kill point). */
  base: string;
  repo: string;
  remote: string;
}

/**
 * Kill points copy a project hundreds of times: on a memory-backed folder (/dev/shm, where
 * there is one) copying and deleting costs a fraction of what it costs on disk.
 */
const scratchRoot = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir();
  } catch {
    return tmpdir();
  }
})();

const scratch: string[] = [];

/** A fresh temporary folder, removed by `cleanupScratch`. */
export function scratchDir(prefix = 'sluice-rel-'): string {
  const dir = mkdtempSync(join(scratchRoot, prefix));
  scratch.push(dir);
  return dir;
}

export function cleanupScratch(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function layout(base: string): Project {
  return { base, repo: join(base, 'repo'), remote: join(base, 'remote') };
}

/** A sluice repo (git, init, a local-folder default remote at `../remote`) and nothing else. */
export function emptyProject(): Project {
  const project = layout(scratchDir());
  mkdirSync(project.repo);
  mkdirSync(project.remote);
  git(project.repo, 'init', '-q', '-b', 'main');
  git(project.repo, 'config', 'gc.auto', '0');
  sluiceOk(project.repo, 'init');
  sluiceOk(project.repo, 'remote', 'add', '-d', 'store', '../remote');
  git(project.repo, 'add', '-A');
  git(project.repo, 'commit', '-q', '-m', 'init');
  return project;
}

export function writeFiles(root: string, files: Record<string, Buffer | string>): void {
  writeTree(root, files);
}

/** A byte-for-byte copy of a project (modes kept), in a fresh temporary folder. */
export function copyProject(from: Project): Project {
  const project = layout(scratchDir());
  cpSync(from.base, project.base, { recursive: true, preserveTimestamps: true });
  return project;
}

/** The same as `copyProject`, without blocking the event loop (kill timers keep running). */
export async function copyProjectAsync(from: Project): Promise<Project> {
  const project = layout(scratchDir());
  await cp(from.base, project.base, { recursive: true, preserveTimestamps: true });
  return project;
}

export async function removeProject(project: Project): Promise<void> {
  await rm(project.base, { recursive: true, force: true });
}

export interface KilledRun {
  /** The process ended on its own before the kill was sent. */
  finished: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<number>();

/** Kills what is still running (afterAll), by the ids of processes this file started. */
export function killLeftovers(): void {
  for (const pid of live) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone (or not a group leader)
      }
    }
  }
  live.clear();
}

const childEnv = { ...process.env, NO_COLOR: '1', DVC_NO_ANALYTICS: '1' };

/** When to kill: after a delay, or right before the n-th call that changes the filesystem. */
export type KillPoint = { delayMs: number } | { write: number };

/** The preload that counts filesystem changes in sluice and kills it at one (killHook.mjs). */
const killHook = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'killHook.mjs')).href;

/** The environment that loads the kill hook, killing at write `killAt` or only counting. */
export function hookEnv(options: { killAt?: number; countFile?: string }): NodeJS.ProcessEnv {
  return {
    NODE_OPTIONS: `--import ${killHook}`,
    ...(options.killAt === undefined ? {} : { SLUICE_KILL_AT_WRITE: String(options.killAt) }),
    ...(options.countFile === undefined ? {} : { SLUICE_KILL_COUNT_FILE: options.countFile }),
  };
}

/**
 * Starts `sluice args` and SIGKILLs it at `point` (unless it finished first). Sluice runs in its
 * own process group and the whole group is killed, as a terminal or a container stop would: a
 * stage command it started must not outlive it and race the rerun.
 */
export async function runAndKill(
  cwd: string,
  args: string[],
  point: KillPoint,
): Promise<KilledRun> {
  const byWrite = 'write' in point;
  const child = spawn(process.execPath, [sluiceBin, ...args], {
    cwd,
    stdio: 'ignore',
    env: byWrite ? { ...childEnv, ...hookEnv({ killAt: point.write }) } : childEnv,
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start sluice ${args.join(' ')}`);
  live.add(pid);
  let finished = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      finished = true;
      resolve({ code, signal });
    });
  });
  if (byWrite) {
    // the hook kills the group itself; a run that finishes has fewer writes than counted
    const { code, signal } = await exited;
    live.delete(pid);
    return { finished: signal !== 'SIGKILL', code, signal };
  }
  const timer = new Promise<void>((resolve) => setTimeout(resolve, point.delayMs));
  await Promise.race([timer, exited]);
  const finishedFirst = finished;
  if (!finishedFirst) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // the group ended between the check and the kill
    }
  }
  const { code, signal } = await exited;
  live.delete(pid);
  return { finished: finishedFirst, code, signal };
}

/** Runs `sluice args` to the end (asynchronously, so several can run at once). */
export function runSluice(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [sluiceBin, ...args], {
      cwd,
      env: { ...childEnv, ...env },
    });
    const pid = child.pid;
    if (pid !== undefined) live.add(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (pid !== undefined) live.delete(pid);
      resolve({ code, stdout, stderr });
    });
  });
}
