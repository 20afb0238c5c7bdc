import { clearReliabilityResults } from './reliabilityDoc.js';

/**
 * The reliability group's global setup: only this run's figures count. `ReliabilityReporter`
 * (vitest.config.ts) writes docs/reliability.md when the run ends, from the sections whose test
 * files passed whole.
 */
export function setup(): void {
  clearReliabilityResults();
}
