// Writes dist/cli/help.txt: the exact text of `sluice --help`, so bin/sluice can print it
// without loading the CLI. Run by `npm run build`.
import { writeFileSync } from 'node:fs';
import { buildProgram } from '../dist/cli/program.js';

const program = buildProgram();
writeFileSync(new URL('../dist/cli/help.txt', import.meta.url), program.helpInformation());
