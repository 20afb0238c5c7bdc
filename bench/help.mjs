// Target 4: `sluice --help` within 1.5x `node -e 0` (start-up cost of the CLI).
import process from 'node:process';
import { Report, SLUICE_BIN, run } from './lib.mjs';

const REPS = Number(process.env.BENCH_HELP_REPS ?? 15);

function main() {
  const report = new Report('help', 'start-up time');
  report.params = { reps: REPS };
  try {
    const node = () => run(process.execPath, ['-e', '0']).seconds;
    const help = () => run(process.execPath, [SLUICE_BIN, '--help']).seconds;
    for (let i = 0; i < 3; i++) {
      node();
      help();
    }
    const nodeRuns = [];
    const helpRuns = [];
    for (let i = 0; i < REPS; i++) {
      nodeRuns.push(node());
      helpRuns.push(help());
    }
    report.compare({
      measure: '`sluice --help`',
      sluiceRuns: helpRuns,
      referenceLabel: '`node -e 0`',
      referenceRuns: nodeRuns,
      target: 1.5,
    });
  } catch (err) {
    report.error('sluice --help', err);
  }
  process.exitCode = report.finish();
}

main();
