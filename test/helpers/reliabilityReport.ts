import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The reliability suite records its figures (kill points survived, inputs tried, load held)
 * here while it runs; the global teardown writes them into docs/reliability.md, so the doc
 * always holds what the last full run measured.
 */
const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const reliabilityResultsDir = join(projectRoot, 'test-artifacts', 'reliability');
export const reliabilityDoc = join(projectRoot, 'docs', 'reliability.md');

export interface ReliabilitySection {
  /** Stable id: the doc keeps one section per id, in id order. */
  id: string;
  title: string;
  /** Markdown body: what was tried, the figures, how the invariants were checked. */
  body: string;
}

/** Called by a test once its figures are known (after its assertions passed). */
export function recordReliability(section: ReliabilitySection): void {
  mkdirSync(reliabilityResultsDir, { recursive: true });
  const file = join(reliabilityResultsDir, `${section.id}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(section));
  renameSync(`${file}.tmp`, file);
}

export function clearReliabilityResults(): void {
  rmSync(reliabilityResultsDir, { recursive: true, force: true });
}

const header = `# Reliability

What the reliability suite (\`test/reliability/\`, part of \`npm run test:all\`) tried on its last run,
written by the suite itself: the figures below come from the run, not by hand. Rerun with
\`npx vitest run test/reliability\` after \`npm run build\`; sections whose tests did not run
keep their previous figures.
`;

function parseSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const pattern = /<!-- section:([\w-]+) -->\n([\s\S]*?)<!-- \/section -->/g;
  for (const match of text.matchAll(pattern)) sections.set(match[1] ?? '', match[2] ?? '');
  return sections;
}

/** Merges the recorded sections into docs/reliability.md (atomically). */
export function writeReliabilityDoc(): number {
  let recorded: string[];
  try {
    recorded = readdirSync(reliabilityResultsDir).filter((name) => name.endsWith('.json'));
  } catch {
    return 0;
  }
  if (recorded.length === 0) return 0;
  let existing: string;
  try {
    existing = readFileSync(reliabilityDoc, 'utf8');
  } catch {
    existing = '';
  }
  const sections = parseSections(existing);
  const stamp = new Date().toISOString().slice(0, 10);
  for (const name of recorded) {
    const section = JSON.parse(
      readFileSync(join(reliabilityResultsDir, name), 'utf8'),
    ) as ReliabilitySection;
    sections.set(
      section.id,
      `## ${section.title}\n\n_Last run: ${stamp}._\n\n${section.body.trim()}\n\n`,
    );
  }
  const body = [...sections.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, text]) => `<!-- section:${id} -->\n${text}<!-- /section -->\n`)
    .join('\n');
  writeFileSync(`${reliabilityDoc}.tmp`, `${header}\n${body}`);
  renameSync(`${reliabilityDoc}.tmp`, reliabilityDoc);
  return recorded.length;
}
