import { clearReliabilityResults, writeReliabilityDoc } from './reliabilityReport.js';

/** The reliability group's global setup: docs/reliability.md is rewritten from this run's results. */
export function setup(): () => void {
  clearReliabilityResults();
  return () => {
    writeReliabilityDoc();
  };
}
