// Shared helpers for the benchmarks. Plain ESM on node builtins only, so a benchmark runs with
// `node bench/<name>.mjs` before (or without) any TypeScript tooling.
import process from 'node:process';
import console from 'node:console';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SLUICE_BIN = process.env.SLUICE_BIN ?? path.join(ROOT, 'bin', 'sluice');
export const DVC_BIN = process.env.DVC_BIN ?? '/root/.cache/sluice-tools/dvc-venv/bin/dvc';

/** BENCH_SCALE=0.1 shrinks data sizes for quick runs; recorded figures use 1. */
export const SCALE = (() => {
  const raw = process.env.BENCH_SCALE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`BENCH_SCALE must be a positive number, got ${raw}`);
  return n;
})();

// Keep DVC quiet and offline, and keep git from picking up the user's config or hooks.
export const BENCH_ENV = {
  ...process.env,
  DVC_NO_ANALYTICS: '1',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  // A commit of 100,000 new files makes git start `gc --auto` in the background, and its
  // repack then runs beside the timed commands that follow (it slowed both `git status` and
  // `sluice status` by half). No measured command is a gc.
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
};

export class CommandError extends Error {}

/**
 * Runs a command to completion and returns its wall time in seconds. Throws CommandError on a
 * non-zero exit unless `allowFail`. `env` adds variables to BENCH_ENV for this command.
 */
export function run(cmd, args, { cwd, allowFail = false, input, env } = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd,
    env: env === undefined ? BENCH_ENV : { ...BENCH_ENV, ...env },
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error) throw new CommandError(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) {
    const err = String(r.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
    throw new CommandError(
      `${cmd} ${args.join(' ')} (in ${cwd ?? process.cwd()}) exited ${r.status}: ${err}`,
    );
  }
  return {
    seconds,
    status: r.status,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  };
}

export const sluice = (args, opts) => run(process.execPath, [SLUICE_BIN, ...args], opts);
export const dvc = (args, opts) => run(DVC_BIN, args, opts);
export const git = (args, opts) => run('git', args, opts);

/** Peak resident set size (MiB) of a command, from GNU time's %M (KiB). */
export function peakRssMiB(cmd, args, { cwd } = {}) {
  if (!existsSync('/usr/bin/time')) return null;
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_MAXRSS=%M', cmd, ...args], {
    cwd,
    env: BENCH_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
  });
  const m = /BENCH_MAXRSS=(\d+)/.exec(String(r.stderr));
  if (r.status !== 0 || !m) {
    throw new CommandError(
      `${cmd} ${args.join(' ')} under /usr/bin/time exited ${r.status}: ${String(r.stderr).slice(-500)}`,
    );
  }
  return Number(m[1]) / 1024;
}

/**
 * Times several commands in turn: each runs `warmup` times untimed, then `reps` rounds run each
 * once in the given order (A B C A B C ...), so a slow phase of a shared machine hits every side
 * alike. `fns` return seconds; the result holds one array of seconds per function.
 */
export function alternate(fns, reps, { warmup = 1 } = {}) {
  for (let w = 0; w < warmup; w++) for (const fn of fns) fn();
  const runs = fns.map(() => []);
  for (let i = 0; i < reps; i++) fns.forEach((fn, k) => runs[k].push(fn()));
  return runs;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function makeTempDir(tag) {
  return mkdtempSync(path.join(os.tmpdir(), `sluice-bench-${tag}-`));
}

export function removeDir(dir) {
  // rm -rf is several times faster than fs.rmSync on trees of 100k+ files.
  const r = spawnSync('rm', ['-rf', '--', dir], { stdio: 'ignore' });
  if (r.status !== 0) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A fresh git repository with `sluice init` (or `dvc init`) done, ready for `add`. */
export function freshRepo(dir, tool) {
  git(['init', '-q', dir]);
  if (tool === 'sluice') sluice(['init', '-q'], { cwd: dir });
  else if (tool === 'dvc') {
    dvc(['init', '-q'], { cwd: dir });
    dvc(['config', 'core.check_update', 'false'], { cwd: dir });
  }
  return dir;
}

/** Deterministic xorshift32 so the generated trees have the same shape on every run. */
export function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export const fmtS = (s) => (s == null ? '—' : s < 0.1 ? s.toFixed(3) : s.toFixed(2));
export const fmtRatio = (r) => (r == null || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}x`);

/**
 * Results of one benchmark script. `rows` are comparisons: { measure, sluice, sluiceRuns,
 * reference, referenceLabel, referenceRuns, ratio, target, stretch, pass, unit, note }.
 */
export class Report {
  constructor(name, title) {
    this.name = name;
    this.title = title;
    this.params = {};
    this.rows = [];
    this.notes = [];
    this.errors = [];
  }

  compare({ measure, sluiceRuns, referenceLabel, referenceRuns, target, stretch, note }) {
    const s = median(sluiceRuns);
    const ref = median(referenceRuns);
    const ratio = s / ref;
    const row = {
      measure,
      unit: 's',
      sluice: s,
      sluiceRuns,
      referenceLabel,
      reference: ref,
      referenceRuns,
      ratio,
      target: target ?? null,
      stretch: stretch ?? null,
      pass: target == null ? null : ratio <= target,
      stretchPass: stretch == null ? null : ratio <= stretch,
      note: note ?? '',
    };
    this.rows.push(row);
    this.print(row);
    return row;
  }

  /** A value checked against an absolute limit (peak memory), or reported only (limit null). */
  absolute({ measure, unit, value, limit, referenceLabel, reference, note }) {
    const row = {
      measure,
      unit,
      sluice: value,
      sluiceRuns: [value],
      referenceLabel: referenceLabel ?? '',
      reference: reference ?? null,
      referenceRuns: reference == null ? [] : [reference],
      ratio: reference == null ? null : value / reference,
      target: limit == null ? null : `< ${limit} ${unit}`,
      stretch: null,
      pass: limit == null ? null : value < limit,
      stretchPass: null,
      note: note ?? '',
    };
    this.rows.push(row);
    this.print(row);
    return row;
  }

  print(row) {
    const f = row.unit === 's' ? fmtS : (v) => (v == null ? '—' : v.toFixed(1));
    const verdict = row.pass == null ? 'report only' : row.pass ? 'PASS' : 'FAIL';
    const target =
      row.target == null
        ? ''
        : typeof row.target === 'number'
          ? ` (target ${row.target}x)`
          : ` (target ${row.target})`;
    console.log(
      `  ${row.measure}: sluice ${f(row.sluice)} ${row.unit}` +
        (row.reference == null
          ? ''
          : ` vs ${row.referenceLabel} ${f(row.reference)} ${row.unit}, ratio ${fmtRatio(row.ratio)}`) +
        `${target} ${verdict}`,
    );
  }

  error(measure, err) {
    const message = err instanceof Error ? err.message : String(err);
    this.errors.push({ measure, message });
    console.error(`  ${measure}: ERROR ${message}`);
  }

  /** Writes the JSON for run-all (BENCH_OUT) and returns the exit code. */
  finish() {
    const out = process.env.BENCH_OUT;
    const data = {
      name: this.name,
      title: this.title,
      scale: SCALE,
      params: this.params,
      rows: this.rows,
      notes: this.notes,
      errors: this.errors,
    };
    if (out) writeFileSync(out, JSON.stringify(data, null, 2));
    return this.errors.length === 0 ? 0 : 1;
  }
}
