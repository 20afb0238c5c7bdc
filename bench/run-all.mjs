// Runs every benchmark and writes docs/benchmarks.md.
//
//   node bench/run-all.mjs                 full scale, writes docs/benchmarks.md
//   BENCH_SCALE=0.1 node bench/run-all.mjs quick run, writes $TMPDIR/sluice-benchmarks-scale-0.1.md
//   node bench/run-all.mjs --only help,add-large-file --out /tmp/b.md
//   node bench/run-all.mjs --build         runs `npm run build` first
//   node bench/run-all.mjs --allow-dirty   writes docs/benchmarks.md from a tree with
//                                          uncommitted changes (the doc then says so)
//
// docs/benchmarks.md names the commit it was measured at, so it is written only from a clean
// tree (no uncommitted changes, no untracked files outside node_modules) whose HEAD did not
// move during the run; otherwise the run refuses to start, or writes to $TMPDIR instead.
//
// The benchmarks run a private copy of bin/ and dist/ (node_modules linked), so a rebuild of
// dist/ during the run cannot mix two builds. Set SLUICE_BIN to use another sluice entry point.
import process from 'node:process';
import console from 'node:console';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DVC_BIN, ROOT, SCALE, fmtRatio, fmtS, makeTempDir, removeDir } from './lib.mjs';

const BENCHMARKS = [
  { name: 'help', file: 'help.mjs' },
  { name: 'add-large-file', file: 'add-large-file.mjs' },
  { name: 'many-files', file: 'many-files.mjs' },
  { name: 'pipeline', file: 'pipeline.mjs' },
  { name: 'metrics-show', file: 'metrics-show.mjs' },
  { name: 'remote-local', file: 'remote-local.mjs' },
  { name: 'remote-minio', file: 'remote-minio.mjs' },
  { name: 'ui-open', file: 'ui-open.mjs' },
];

function parseArgs(argv) {
  const opts = { only: null, out: null, build: false, allowDirty: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--out') opts.out = path.resolve(argv[++i]);
    else if (a === '--build') opts.build = true;
    else if (a === '--allow-dirty') opts.allowDirty = true;
    else
      throw new Error(`unknown argument ${a} (known: --only a,b --out FILE --build --allow-dirty)`);
  }
  return opts;
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return r.status === 0 ? r.stdout.trim() : null;
}

function snapshot() {
  const dir = makeTempDir('snapshot');
  cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const DOC = path.join(ROOT, 'docs', 'benchmarks.md');

/**
 * The commit the checkout is at, and what differs from it: changed or untracked files, leaving
 * out node_modules (a link to the shared install) and the doc this script writes.
 */
function treeState() {
  const commit = capture('git', ['rev-parse', 'HEAD'], { cwd: ROOT });
  // Not capture(): its trim would eat the status column of the first line.
  const status = spawnSync(
    'git',
    ['status', '--porcelain', '--', '.', ':(exclude)node_modules', `:(exclude)${DOC}`],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (commit == null || status.status !== 0) throw new Error(`${ROOT} is not a git checkout`);
  const changed = status.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.slice(3));
  return { commit, dirty: changed.length > 0, changed };
}

const describeChanges = (tree) =>
  `${tree.changed.length} changed or untracked file(s): ${tree.changed.slice(0, 5).join(', ')}${tree.changed.length > 5 ? ', ...' : ''}`;

function machineInfo(sluiceBin, tree, allowDirty) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? 'unknown',
    memGiB: (os.totalmem() / 1024 ** 3).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    tmpFs: capture('findmnt', ['-n', '-o', 'FSTYPE', '-T', os.tmpdir()]) ?? 'unknown',
    node: process.version,
    sluice: capture(process.execPath, [sluiceBin, '--version']) ?? 'unknown',
    commit: tree.commit,
    dirty: tree.dirty,
    changes: tree.dirty ? describeChanges(tree) : '',
    allowDirty,
    dvc: capture(DVC_BIN, ['--version']) ?? 'not found',
    git: capture('git', ['--version']) ?? 'not found',
    scale: SCALE,
    loadBefore: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

const fmtValue = (row, v) =>
  v == null ? '—' : row.unit === 's' ? `${fmtS(v)} s` : `${v.toFixed(1)} ${row.unit}`;

function verdict(row) {
  if (row.pass == null) return 'report only';
  let s = row.pass ? '**pass**' : '**FAIL**';
  if (row.stretch != null)
    s += row.stretchPass ? ` (stretch ${row.stretch}x met)` : ` (stretch ${row.stretch}x missed)`;
  return s;
}

const fmtTarget = (row) =>
  row.target == null ? '—' : typeof row.target === 'number' ? `≤ ${row.target}x` : row.target;

function summaryTable(results) {
  const lines = [
    '| Measure | Sluice | Reference | Ratio | Target | Result |',
    '|---|---|---|---|---|---|',
  ];
  for (const res of results) {
    for (const row of res.rows) {
      const ref =
        row.reference == null ? '—' : `${fmtValue(row, row.reference)} (${row.referenceLabel})`;
      lines.push(
        `| ${row.measure} | ${fmtValue(row, row.sluice)} | ${ref} | ${fmtRatio(row.ratio)} | ${fmtTarget(row)} | ${verdict(row)} |`,
      );
    }
    for (const e of res.errors) lines.push(`| ${e.measure} | ERROR | — | — | — | **ERROR** |`);
  }
  return lines.join('\n');
}

function section(res) {
  const out = [`### ${res.name} — ${res.title}`, ''];
  if (Object.keys(res.params).length > 0) {
    out.push(
      'Parameters: ' +
        Object.entries(res.params)
          .map(
            ([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : v}`,
          )
          .join(', '),
      '',
    );
  }
  if (res.rows.length > 0) {
    out.push(
      '| Measure | Sluice runs | Reference | Reference runs | Ratio of medians | Target | Result |',
      '|---|---|---|---|---|---|---|',
    );
    for (const row of res.rows) {
      const runs = (xs) =>
        xs.length === 0
          ? '—'
          : xs.map((x) => (row.unit === 's' ? fmtS(x) : x.toFixed(1))).join(', ');
      out.push(
        `| ${row.measure} | ${runs(row.sluiceRuns)} | ${row.referenceLabel || '—'} | ${runs(row.referenceRuns)} | ${fmtRatio(row.ratio)} | ${fmtTarget(row)} | ${verdict(row)} |`,
      );
    }
    out.push('');
    for (const row of res.rows)
      if (row.note) out.push(`- ${row.measure} vs ${row.referenceLabel}: ${row.note}`);
  }
  for (const n of res.notes) out.push(`- ${n}`);
  for (const e of res.errors)
    out.push(
      `- **ERROR** in ${e.measure}: \`${e.message.replace(/\n/g, ' ').replace(/`/g, "'")}\``,
    );
  return out.join('\n').trimEnd();
}

// Other jobs on the machine skew single figures; alternating runs keeps ratios usable, but say so.
function loadWarning(info) {
  const peak = Math.max(
    ...[
      info.loadBefore,
      os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    ].flatMap((s) => s.split(' ').map(Number)),
  );
  if (peak <= info.nproc) return '';
  return `> **Loaded machine**: the load average reached ${peak.toFixed(1)} on ${info.nproc} CPUs during this run (other jobs were running), so single runs vary a lot; read the ratios of medians, and rerun on a quiet machine for absolute figures.\n\n`;
}

function renderMarkdown(info, results, totalSeconds) {
  return `# Benchmarks

${info.dirty ? `> **Uncommitted changes**: these figures were measured on a tree with ${info.changes}, not on commit \`${info.commit}\` alone${info.allowDirty ? ' (written with `--allow-dirty`)' : ''}.\n\n` : ''}Figures from one run of \`node bench/run-all.mjs\` at scale ${info.scale}${info.scale === 1 ? ' (full scale)' : ' (**reduced scale, not the recorded figures**)'}
at commit \`${info.commit}\`.
Every benchmark runs Sluice beside its reference on the same generated data in the same run; a
ratio is Sluice's median time divided by the reference's median time (lower is better).

## Machine

| | |
|---|---|
| Date | ${info.date} |
| CPUs (nproc) | ${info.nproc} × ${info.cpu} |
| Memory | ${info.memGiB} GiB |
| Kernel | ${info.kernel} |
| Filesystem of the temp dir | ${info.tmpFs} |
| Node | ${info.node} |
| Sluice | ${info.sluice} |
| Commit | \`${info.commit}\` |
| Working tree | ${info.dirty ? `**dirty** (${info.changes})` : 'clean (no changed or untracked files besides this doc)'} |
| DVC | ${info.dvc} |
| Git | ${info.git} |
| Load average (1, 5, 15 min) before / after | ${info.loadBefore} / ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} |
| Total run time | ${(totalSeconds / 60).toFixed(1)} min |

${loadWarning(info)}## Summary

${summaryTable(results)}

## Details

${results.map(section).join('\n\n')}

## Method

- Times are wall-clock times of the whole command, spawned from node, medians of the listed runs.
  Reference and Sluice runs alternate, so a slow phase of the machine hits both.
- The page cache cannot be dropped here: commands run once to warm up (or read data that was
  just written), so both sides read from memory. The generated data fits in RAM.
- **add-large-file**: a 2 GiB file of random bytes. Reference: \`md5sum FILE\` then \`cp FILE
  COPY\` (two commands, times added). Each \`sluice add\` runs in a fresh \`git init\` + \`sluice init\`
  repository, so no hash cache helps; the file is moved (renamed) into the repository, not copied.
- **many-files**: 100,000 files of 1–4 KiB of random bytes in 10 × 10 nested folders. \`git add -A\`,
  \`sluice add data\` and \`dvc add data\` each run in a fresh repository holding its own copy of
  the tree (hard links, \`cp -al\`, not timed: no tool writes into a workspace file). \`dvc add\` runs once: it is slow on 100k files and a full run
  must stay under ~15 minutes. \`git status\` runs on the committed tree; \`dvc status\` runs in the
  DVC repository after \`dvc add\` (DVC's own state cache, not Sluice's). One \`sluice status\` and
  one \`dvc status\` run before the measured ones. "After changing one file": each run rewrites a
  different file, so each run must hash exactly one new file. Peak memory is GNU time's \`%M\`
  (maximum resident set size) of one \`sluice status\`. Checkout deletes the \`data\` folder and
  restores it from the cache (Sluice 2 runs, DVC once). \`sluice status\` runs with the answer
  memo on (see **pipeline**): repeated runs may replay the remembered answer after checking the
  folders' stamps; this benchmark has no memo-off row yet.
- **help** (start-up): each command against \`node -e 0\`, 3 warm-up runs of each then 15 rounds
  in turn. \`bin/sluice\` answers exactly \`--help\`/\`-h\` from text generated at build time
  without loading the CLI, so that row shows the shortcut and is reported only; the 1.5x target
  applies to \`sluice --version\`, \`sluice status --help\` and a no-op \`sluice status\` (answer
  memo off, \`SLUICE_ANSWER_MEMO=0\`) in a small repository (one git-tracked file, one stage).
- **pipeline**: no-op \`status\` and \`repro\` of a 100-stage pipeline over 1,000 files (each
  against DVC on its own copy), a no-op \`repro\` of 1,000 chained stages and \`status\` of a
  1,000-item \`foreach\` (limit 1 s each). A repeated \`status\` or no-op \`repro\` replays the
  answer Sluice remembered in \`.dvc/tmp/sluice/answers\` when nothing it read has changed, without
  loading the CLI; so each of these is measured twice, with the answer memo on (the default; the
  note says how many measured runs replayed) and off (\`SLUICE_ANSWER_MEMO=0\`, the command does
  its work), with the same target for both. After setup the benchmark waits 2.5 s (an answer is
  remembered only when the files it read are 2 s old), then runs memo on, memo off and DVC in
  turn: one warm-up round, 3 measured rounds. \`repro -j 2\`: two independent stages that each
  hash 800 MiB of generated bytes with SHA-256 (a fixed amount of CPU work, about 0.5 s here),
  \`repro -f --no-run-cache\` serial and with \`-j 2\`, then both again pinned to one CPU
  (\`taskset -c 0\`), the four in turn, 3 rounds. Pinned, two stages of CPU work cannot overlap,
  so the pinned ratio must be near 1.0: below 0.8 the benchmark fails with an error (the stages
  would be waiting on the clock, not working). That check applies when the load average is at
  most the CPU count (on a loaded machine other processes on the pinned CPU make the ratio read
  low); each stage also reports its CPU seconds, and the benchmark fails when a stage used less
  than 0.8x the serial CPU time pinned with \`-j 2\`.
- **Commit**: the doc names the commit (\`git rev-parse HEAD\`) it was measured at; \`run-all.mjs\`
  refuses to write \`docs/benchmarks.md\` from a tree with changed or untracked files (besides
  \`node_modules\` and this doc), or when HEAD moves during the run, unless \`--allow-dirty\`, and
  then says so at the top. \`dist/\` is not tracked: build it from the commit (\`--build\`).
- DVC runs with \`DVC_NO_ANALYTICS=1\` and \`core.check_update false\`. DVC spends about 1 s of each
  command starting up on this machine (about 1.7 s for \`dvc status\` in an empty repository).

## How to rerun

\`\`\`sh
npm run build
node bench/run-all.mjs                  # full scale, about 15 minutes on a quiet 2-CPU machine, rewrites docs/benchmarks.md
BENCH_SCALE=0.1 node bench/run-all.mjs  # quick check; writes to $TMPDIR, not to docs/
node bench/many-files.mjs               # one benchmark, printed only
node bench/compare-builds.mjs --before DIR  # no-op status, this build against a built checkout DIR
\`\`\`

Options: \`--only help,add-large-file,many-files\`, \`--out FILE\`, \`--build\` (runs \`npm run build\`
first), \`--allow-dirty\` (write \`docs/benchmarks.md\` from a tree with uncommitted changes).
Environment: \`BENCH_SCALE\` (data size factor; the \`repro -j 2\` stages do not scale), \`BENCH_REPS\` (runs of each timed command,
default 3), \`BENCH_STATUS_REPS\` (default 5), \`BENCH_DVC_ADD_REPS\` (default 1),
\`BENCH_HELP_REPS\` (default 15), \`BENCH_STAGE_MIB\` (default 800), \`BENCH_PARALLEL_REPS\` (default 3),
\`BENCH_CHECKOUT_REPS\` (default 2), \`BENCH_DVC_CHECKOUT_REPS\` (default 1), \`SLUICE_BIN\`,
\`DVC_BIN\` (default \`/root/.cache/sluice-tools/dvc-venv/bin/dvc\`). Data goes under the system
temp dir and is deleted afterwards; a full run needs about 10 GiB free there.
`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const target =
    opts.out ?? (SCALE === 1 ? DOC : path.join(os.tmpdir(), `sluice-benchmarks-scale-${SCALE}.md`));
  const tree = treeState();
  if (target === DOC && tree.dirty && !opts.allowDirty) {
    console.error(
      `refusing to write ${path.relative(ROOT, DOC)}: the tree has ${describeChanges(tree)}. ` +
        'Commit them first (the doc names the commit it measured), or pass --out FILE, or --allow-dirty.',
    );
    process.exitCode = 2;
    return;
  }
  if (opts.build) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  const snap = process.env.SLUICE_BIN ? null : snapshot();
  const sluiceBin = process.env.SLUICE_BIN ?? path.join(snap, 'bin', 'sluice');
  const workDir = makeTempDir('results');
  try {
    if (capture(process.execPath, [sluiceBin, '--version']) == null) {
      throw new Error(`${sluiceBin} --version fails: build first (npm run build)`);
    }
    const info = machineInfo(sluiceBin, tree, opts.allowDirty);
    console.log(
      `sluice ${info.sluice}, dvc ${info.dvc}, ${info.git}, node ${info.node}, nproc ${info.nproc}, scale ${SCALE}`,
    );
    const results = [];
    const started = Date.now();
    for (const b of BENCHMARKS) {
      if (opts.only && !opts.only.includes(b.name)) continue;
      const out = path.join(workDir, `${b.name}.json`);
      const t0 = Date.now();
      console.log(`\n== ${b.name}`);
      spawnSync(process.execPath, [path.join(ROOT, 'bench', b.file)], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_OUT: out, SLUICE_BIN: sluiceBin },
      });
      let res;
      try {
        res = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        res = {
          name: b.name,
          title: b.name,
          params: {},
          rows: [],
          notes: [],
          errors: [{ measure: b.name, message: 'benchmark crashed' }],
        };
      }
      console.log(`   (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      results.push(res);
    }
    const total = (Date.now() - started) / 1000;
    let written = target;
    const after = treeState();
    if (target === DOC && (after.commit !== tree.commit || (after.dirty && !opts.allowDirty))) {
      written = path.join(os.tmpdir(), 'sluice-benchmarks-unrecorded.md');
      console.error(
        `\nthe tree changed during the run (HEAD ${tree.commit.slice(0, 12)} -> ${after.commit.slice(0, 12)}` +
          `${after.dirty ? `, ${describeChanges(after)}` : ''}): not writing ${path.relative(ROOT, DOC)}`,
      );
      process.exitCode = 1;
    }
    mkdirSync(path.dirname(written), { recursive: true });
    writeFileSync(written, renderMarkdown(info, results, total));
    // `npm run lint` checks docs/ with prettier too; format the tables the way it wants.
    spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'prettier'),
      ['--write', '--log-level', 'warn', written],
      {
        stdio: 'inherit',
      },
    );
    console.log(`\nwrote ${written} (${(total / 60).toFixed(1)} min)`);
    const failed = results.some(
      (r) => r.errors.length > 0 || r.rows.some((row) => row.pass === false),
    );
    if (failed) process.exitCode = 1;
  } finally {
    removeDir(workDir);
    if (snap) removeDir(snap);
  }
}

main();
