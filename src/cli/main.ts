#!/usr/bin/env node
import { startEarlyStamps } from '../core/workspace/earlyStamps.js';

// Before the CLI's modules load (tens of milliseconds): a `status` of a large folder starts
// stamping it on a helper thread meanwhile.
startEarlyStamps(process.argv.slice(2), process.cwd());
await import('./run.js');
