// Runs every benchmark and writes docs/benchmarks.md.
//
//   node bench/run-all.mjs                 full scale, writes docs/benchmarks.md
//   BENCH_SCALE=0.1 node bench/run-all.mjs quick run, writes $TMPDIR/sluice-benchmarks-scale-0.1.md
//   node bench/run-all.mjs --only help,add-large-file --out /tmp/b.md
//   node bench/run-all.mjs --build         runs `npm run build` first
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
  const opts = { only: null, out: null, build: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--out') opts.out = path.resolve(argv[++i]);
    else if (a === '--build') opts.build = true;
    else throw new Error(`unknown argument ${a} (known: --only a,b --out FILE --build)`);
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

function machineInfo(sluiceBin) {
  const cpus = os.cpus();
  const head = capture('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
  const dirty = capture('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT });
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? 'unknown',
    memGiB: (os.totalmem() / 1024 ** 3).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    tmpFs: capture('findmnt', ['-n', '-o', 'FSTYPE', '-T', os.tmpdir()]) ?? 'unknown',
    node: process.version,
    sluice: capture(process.execPath, [sluiceBin, '--version']) ?? 'unknown',
    commit: head == null ? 'none' : `${head}${dirty ? ' + uncommitted changes in src/' : ''}`,
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

Figures from one run of \`node bench/run-all.mjs\` at scale ${info.scale}${info.scale === 1 ? ' (full scale)' : ' (**reduced scale, not the recorded figures**)'}.
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
| Sluice | ${info.sluice} (commit ${info.commit}) |
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
  restores it from the cache (Sluice 2 runs, DVC once).
- **help**: \`node bin/sluice --help\` against \`node -e 0\`, 3 warm-up runs of each then 15 each.
- DVC runs with \`DVC_NO_ANALYTICS=1\` and \`core.check_update false\`. DVC spends about 1 s of each
  command starting up on this machine (about 1.7 s for \`dvc status\` in an empty repository).

## How to rerun

\`\`\`sh
npm run build
node bench/run-all.mjs                  # full scale, about 15 minutes on a quiet 2-CPU machine, rewrites docs/benchmarks.md
BENCH_SCALE=0.1 node bench/run-all.mjs  # quick check; writes to $TMPDIR, not to docs/
node bench/many-files.mjs               # one benchmark, printed only
\`\`\`

Options: \`--only help,add-large-file,many-files\`, \`--out FILE\`, \`--build\` (runs \`npm run build\`
first). Environment: \`BENCH_SCALE\` (data size factor), \`BENCH_REPS\` (runs of each timed command,
default 3), \`BENCH_STATUS_REPS\` (default 5), \`BENCH_DVC_ADD_REPS\` (default 1),
\`BENCH_CHECKOUT_REPS\` (default 2), \`BENCH_DVC_CHECKOUT_REPS\` (default 1), \`SLUICE_BIN\`,
\`DVC_BIN\` (default \`/root/.cache/sluice-tools/dvc-venv/bin/dvc\`). Data goes under the system
temp dir and is deleted afterwards; a full run needs about 10 GiB free there.
`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
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
    const info = machineInfo(sluiceBin);
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
    const target =
      opts.out ??
      (SCALE === 1
        ? path.join(ROOT, 'docs', 'benchmarks.md')
        : path.join(os.tmpdir(), `sluice-benchmarks-scale-${SCALE}.md`));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, renderMarkdown(info, results, total));
    // `npm run lint` checks docs/ with prettier too; format the tables the way it wants.
    spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'prettier'),
      ['--write', '--log-level', 'warn', target],
      {
        stdio: 'inherit',
      },
    );
    console.log(`\nwrote ${target} (${(total / 60).toFixed(1)} min)`);
    const failed = results.some(
      (r) => r.errors.length > 0 || r.rows.some((row) => row.pass === false),
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    removeDir(workDir);
    if (snap) removeDir(snap);
  }
}

main();
