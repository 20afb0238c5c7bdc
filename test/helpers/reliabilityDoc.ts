import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The reliability suite records its figures (kill points survived, inputs tried, load held)
 * here while it runs (recordReliability); when the run ends, ReliabilityReporter writes into
 * docs/reliability.md the sections of the test files whose tests all passed, so the doc holds
 * what the last passing run of each measured.
 */
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The variables point a run elsewhere (the reporter's own test runs a fixture suite with them).
export const reliabilityResultsDir =
  process.env.SLUICE_RELIABILITY_RESULTS ?? join(projectRoot, 'test-artifacts', 'reliability');
export const reliabilityDoc =
  process.env.SLUICE_RELIABILITY_DOC ?? join(projectRoot, 'docs', 'reliability.md');

export interface ReliabilitySection {
  /** Stable id: the doc keeps one section per id, in id order. */
  id: string;
  title: string;
  /** Markdown body: what was tried, the figures, how the invariants were checked. */
  body: string;
}

export interface RecordedSection extends ReliabilitySection {
  /** The test file that recorded it: the section is written only if all of its tests passed. */
  testFile: string;
}

/** How one test file of the run ended. */
export interface TestFileOutcome {
  file: string;
  /** Every test of the file ran and passed (none failed, none skipped or filtered out). */
  allPassed: boolean;
}

export interface ReportOutcome {
  written: string[];
  /** Sections recorded by a file some of whose tests failed or did not run: the doc keeps the old text. */
  withheld: string[];
}

export function clearReliabilityResults(): void {
  rmSync(reliabilityResultsDir, { recursive: true, force: true });
}

const header = `# Reliability

What the reliability suite (\`test/reliability/\`, part of \`npm run test:all\`) tried on its last run,
written by the suite itself: the figures below come from the run, not by hand. Rerun with
\`npx vitest run test/reliability\` after \`npm run build\`. A section is rewritten only by a run
in which every test of its file ran and passed; otherwise it keeps the figures of the last such run.

## The promises

Sluice makes four promises about your data. Each is checked by tests that attack it, and the
sections below say what the last run of those tests tried.

| Sluice promises | proved by |
|---|---|
| It never overwrites or deletes unsaved work (a file whose content is in no cache) without \`-f\`: \`checkout\`, \`pull\`, \`import\`, \`update\`, \`repro\`, \`move\` and \`remove --outs\` change nothing and list the files instead. | \`test/e2e/workspace-safety.test.ts\`; the hostile-repository suite (\`test/reliability/hostileRepo.test.ts\`, "unsaved" invariant); \`test/e2e/data-errors.test.ts\` |
| It never writes or deletes anything outside the repository, nor the repository itself, \`.git\` or \`.dvc\`, whatever a metafile says and whatever symlinks are committed; \`sluice ui\` serves nothing outside it. | \`test/unit/core/5-workspace/guardedWorkspace.test.ts\` (property-based); \`test/e2e/workspace-safety.test.ts\`; the hostile-repository suite (outside folder and \`.git\` compared after every case); \`test/e2e/ui-safety.test.ts\`; the lint rule that keeps every file change in the guarded path (CONTRIBUTING, "The guarded path") |
| It never uploads, checks out or stores a corrupt object: objects are verified as they are read for \`push\`, as they are downloaded, and before they are linked; \`sluice fsck\` finds and repairs what went bad at rest. | \`test/e2e/integrity.test.ts\`; \`test/e2e/fsck.test.ts\`; the upload checks in \`test/remote/backends/conformance.ts\`; \`test/e2e/data-errors.test.ts\`; the kill-point invariants below |
| A killed command loses nothing and leaves nothing: every file is its old or its new version, and the next command removes the temporary files a dead one left, in the workspace, the cache and the remote. | \`test/reliability/killPoints.test.ts\` (below); \`test/e2e/temp-leftovers.test.ts\`; \`test/reliability/fullDisk.test.ts\`; \`test/reliability/concurrency.test.ts\` |
`;

function parseSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const pattern = /<!-- section:([\w-]+) -->\n([\s\S]*?)<!-- \/section -->/g;
  for (const match of text.matchAll(pattern)) sections.set(match[1] ?? '', match[2] ?? '');
  return sections;
}

/**
 * Merges into docs/reliability.md (atomically) the sections recorded by files whose tests all
 * passed in this run; a run that ended with errors outside any test writes nothing. Sections
 * of other files keep the text of the last run that passed them.
 */
export function writeReliabilityDoc(
  outcomes: TestFileOutcome[],
  unhandledErrors = 0,
  doc = reliabilityDoc,
): ReportOutcome {
  const outcome: ReportOutcome = { written: [], withheld: [] };
  let names: string[];
  try {
    names = readdirSync(reliabilityResultsDir).filter((name) => name.endsWith('.json'));
  } catch {
    return outcome;
  }
  const passed = new Set(outcomes.filter((o) => o.allPassed).map((o) => o.file));
  const recorded: RecordedSection[] = [];
  for (const name of names.sort()) {
    const section = JSON.parse(
      readFileSync(join(reliabilityResultsDir, name), 'utf8'),
    ) as RecordedSection;
    if (unhandledErrors === 0 && passed.has(section.testFile)) recorded.push(section);
    else outcome.withheld.push(section.id);
  }
  if (recorded.length === 0) return outcome;
  let existing: string;
  try {
    existing = readFileSync(doc, 'utf8');
  } catch {
    existing = '';
  }
  const sections = parseSections(existing);
  const stamp = new Date().toISOString().slice(0, 10);
  for (const section of recorded) {
    sections.set(
      section.id,
      `## ${section.title}\n\n_Last run: ${stamp}._\n\n${section.body.trim()}\n\n`,
    );
    outcome.written.push(section.id);
  }
  const body = [...sections.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, text]) => `<!-- section:${id} -->\n${text}<!-- /section -->\n`)
    .join('\n');
  writeFileSync(`${doc}.tmp`, `${header}\n${body}`);
  renameSync(`${doc}.tmp`, doc);
  return outcome;
}
