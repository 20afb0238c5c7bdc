import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  reliabilityResultsDir,
  type RecordedSection,
  type ReliabilitySection,
} from './reliabilityDoc.js';

export type { ReliabilitySection } from './reliabilityDoc.js';

/** Called by a test once its figures are known (after its assertions passed). */
export function recordReliability(section: ReliabilitySection): void {
  const testFile = expect.getState().testPath;
  if (testFile === undefined) throw new Error('recordReliability is called from a test');
  mkdirSync(reliabilityResultsDir, { recursive: true });
  const file = join(reliabilityResultsDir, `${section.id}.json`);
  const recorded: RecordedSection = { ...section, testFile };
  writeFileSync(`${file}.tmp`, JSON.stringify(recorded));
  renameSync(`${file}.tmp`, file);
}
