import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  dvcOk,
  git,
  makeRepo,
  sluiceOk,
  tempDir,
  writeTree,
} from '../helpers/sandbox.js';

/**
 * `plots show --json` and `plots diff --json` give what DVC gives (issue 17, item 3): the
 * `{"data": …}` wrapper, image entries, folders expanded, DVC's data points (CSV/TSV values as
 * strings, one series per file), template axes. The Vega-Lite `content` is Sluice's own drawing
 * (see docs/dvc-compatibility.md): compared here are what a script reads of it.
 */

afterEach(cleanupSandboxes);

type Tool = 'sluice' | 'dvc';

function runOk(tool: Tool, cwd: string, ...args: string[]): string {
  return (tool === 'sluice' ? sluiceOk : dvcOk)(cwd, ...args).stdout;
}

// a 1x1 PNG
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const FILES: Record<string, string | Buffer> = {
  'logs/train.csv': 'step,loss\n0,1.5\n1,0.7\n',
  'logs/test.csv': 'step,loss\n0,1.9\n1,0.9\n',
  'scores.tsv': 'name\tscore\na\t3\nb\t5\n',
  'acc.json': '{"train": [{"epoch": 1, "acc": 0.5}, {"epoch": 2, "acc": 0.75}]}',
  'imgs/a.png': PNG,
  'imgs/b.png': PNG,
  'cm.png': PNG,
  'dvc.yaml': `plots:
- logs
- imgs
- cm.png
- acc.json:
    x: epoch
- scores.tsv:
    template: bar_horizontal
    x: score
    y: name
- losses:
    x: step
    y:
      logs/train.csv: loss
      logs/test.csv: loss
`,
};

interface Entry {
  type: string;
  revisions: string[];
  url?: string;
  content?: {
    data: { values: unknown[] };
    title?: { text?: string } | string;
    encoding?: Record<string, { field?: string; type?: string }>;
  };
}

/** What a script reads of the output: shape, entries, data points, image files. */
function project(root: string, text: string): unknown {
  const out = JSON.parse(text) as { data?: Record<string, Entry[]>; errors?: unknown[] };
  return {
    keys: Object.keys(out),
    data: Object.entries(out.data ?? {}).map(([id, entries]) => [
      id,
      entries.map((e) =>
        e.type === 'image'
          ? {
              type: e.type,
              revisions: e.revisions,
              url: relative(root, e.url ?? ''),
              same: readFileSync(e.url ?? '').equals(PNG),
            }
          : {
              type: e.type,
              revisions: e.revisions,
              values: e.content?.data.values,
              title:
                typeof e.content?.title === 'string' ? e.content.title : e.content?.title?.text,
            },
      ),
    ]),
  };
}

function barAxes(text: string): unknown {
  const entry = (JSON.parse(text) as { data: Record<string, Entry[]> }).data['scores.tsv'][0];
  const encoding = entry.content?.encoding ?? {};
  return { x: encoding.x?.field, xType: encoding.x?.type, y: encoding.y?.field };
}

describe('plots --json', () => {
  it('show and diff give DVC output', () => {
    const results = (['dvc', 'sluice'] as const).map((tool) => {
      const root = makeRepo(tool);
      writeTree(root, FILES);
      const show = runOk(tool, root, 'plots', 'show', '--json');
      const targeted = runOk(tool, root, 'plots', 'show', '--json', 'imgs', 'logs/train.csv');
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', 'plots');
      writeTree(root, { 'logs/train.csv': 'step,loss\n0,1.4\n1,0.6\n' });
      const diff = runOk(tool, root, 'plots', 'diff', '--json');
      return {
        show: project(root, show),
        targeted: project(root, targeted),
        diff: project(root, diff),
        bar: barAxes(show),
        losses: JSON.stringify(
          (JSON.parse(show) as { data: Record<string, Entry[]> }).data.losses[0].content?.encoding,
        ),
      };
    });
    const [expected, actual] = results;
    expect(expected.bar).toEqual({ x: 'score', xType: 'quantitative', y: 'name' });
    // the two files' series are told apart by their file name
    expect(expected.losses).toContain('"filename"');
    expect(actual.losses).toContain('"filename"');
    expect({ ...actual, losses: '' }).toEqual({ ...expected, losses: '' });
  });

  it('prints {} and exits 0 in a repository without plots', () => {
    for (const tool of ['dvc', 'sluice'] as const) {
      const root = makeRepo(tool);
      expect(JSON.parse(runOk(tool, root, 'plots', 'show', '--json'))).toEqual({});
    }
  });

  it('diff prints {} before the first commit', () => {
    for (const tool of ['dvc', 'sluice'] as const) {
      const root = tempDir();
      git(root, 'init', '-q');
      runOk(tool, root, 'init');
      writeTree(root, { 'l.csv': 'step,loss\n0,1\n', 'dvc.yaml': 'plots:\n- l.csv\n' });
      git(root, 'add', '-A');
      expect(JSON.parse(runOk(tool, root, 'plots', 'diff', '--json'))).toEqual({});
    }
  });
});
