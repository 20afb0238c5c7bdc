import { describe, expect, it } from 'vitest';
import {
  renderDagAscii,
  renderDagDot,
  renderDagMarkdown,
  renderDagMermaid,
} from '../../../../src/cli/render/dag.js';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { bigPipeline, tutorialPipeline, type TestGraph } from './dagFixtures.js';

// The get-started style repo used to record real `dvc dag` output (DVC 3.67): nodes in DVC's
// graph insertion order, edges upstream -> downstream.
const recorded: TestGraph = {
  nodes: ['featurization', 'training', 'evaluate', 'other.dvc', 'data/train_data.csv.dvc'],
  edges: [
    ['featurization', 'training'],
    ['training', 'evaluate'],
    ['data/train_data.csv.dvc', 'featurization'],
  ],
};

describe('renderDagMermaid / renderDagMarkdown', () => {
  it('matches dvc dag --mermaid', () => {
    expect(renderDagMermaid(recorded)).toBe(
      [
        'flowchart TD',
        '\tnode1["data/train_data.csv.dvc"]',
        '\tnode2["evaluate"]',
        '\tnode3["featurization"]',
        '\tnode4["training"]',
        '\tnode1-->node3',
        '\tnode3-->node4',
        '\tnode4-->node2',
        '\tnode5["other.dvc"]',
        '',
      ].join('\n'),
    );
  });

  it('matches dvc dag --md', () => {
    expect(renderDagMarkdown(recorded)).toBe('```mermaid\n' + renderDagMermaid(recorded) + '```\n');
  });

  it('sorts edges by label pair and numbers nodes globally', () => {
    const g: TestGraph = {
      nodes: ['b', 'a', 'c', 'z'],
      edges: [
        ['c', 'b'],
        ['a', 'b'],
        ['a', 'c'],
      ],
    };
    expect(renderDagMermaid(g)).toBe(
      'flowchart TD\n\tnode1["a"]\n\tnode2["b"]\n\tnode3["c"]\n\tnode1-->node2\n\tnode1-->node3\n\tnode3-->node2\n\tnode4["z"]\n',
    );
  });

  it('renders an empty graph as the header only', () => {
    expect(renderDagMermaid({ nodes: [], edges: [] })).toBe('flowchart TD\n');
  });
});

describe('renderDagDot', () => {
  it('has the pydot shape of dvc dag --dot', () => {
    expect(renderDagDot(recorded)).toBe(
      [
        'strict digraph {',
        '"featurization";',
        '"training";',
        '"evaluate";',
        '"other.dvc";',
        '"data/train_data.csv.dvc";',
        '"featurization" -> "training";',
        '"training" -> "evaluate";',
        '"data/train_data.csv.dvc" -> "featurization";',
        '}',
        '',
        '',
      ].join('\n'),
    );
  });
});

describe('renderDagAscii', () => {
  it('draws the tutorial pipeline in boxes', () => {
    expect(renderDagAscii(tutorialPipeline())).toBe(
      [
        '+------------------------+  +-------------------------+',
        '| data/test_data.csv.dvc |  | data/train_data.csv.dvc |',
        '+------------------------+  +-------------------------+',
        '             |                           |',
        '             +-------------+-------------+',
        '                           v',
        '                 +-------------------+',
        '                 | featurization.dvc |',
        '                 +-------------------+',
        '                           |',
        '                           v',
        '                   +--------------+',
        '                   | training.dvc |',
        '                   +--------------+',
        '                           |',
        '                           v',
        '                      +---------+',
        '                      | Dvcfile |',
        '                      +---------+',
        '',
      ].join('\n'),
    );
  });

  it('separates components with a blank line, in node order', () => {
    expect(renderDagAscii(recorded)).toBe(
      [
        '+-------------------------+',
        '| data/train_data.csv.dvc |',
        '+-------------------------+',
        '             |',
        '             v',
        '     +---------------+',
        '     | featurization |',
        '     +---------------+',
        '             |',
        '             v',
        '       +----------+',
        '       | training |',
        '       +----------+',
        '             |',
        '             v',
        '       +----------+',
        '       | evaluate |',
        '       +----------+',
        '',
        '+-----------+',
        '| other.dvc |',
        '+-----------+',
        '',
      ].join('\n'),
    );
  });

  it('routes fan-out, fan-in and long edges with unambiguous junctions', () => {
    const g: TestGraph = {
      nodes: ['data.dvc', 'params.dvc', 'prepare', 'featurize', 'train', 'evaluate'],
      edges: [
        ['data.dvc', 'prepare'],
        ['prepare', 'featurize'],
        ['featurize', 'train'],
        ['params.dvc', 'train'],
        ['train', 'evaluate'],
        ['featurize', 'evaluate'],
        ['prepare', 'evaluate'],
      ],
    };
    expect(renderDagAscii(g)).toBe(
      [
        '         +----------+',
        '         | data.dvc |',
        '         +----------+',
        '               |',
        '               v',
        '          +---------+',
        '          | prepare |',
        '          +---------+',
        '             |',
        '      +------+-+',
        '      v        |',
        '+-----------+  |      +------------+',
        '| featurize |  |      | params.dvc |',
        '+-----------+  |      +------------+',
        '    |          |             |',
        '    +-+--------|------+      |',
        '      |        |      +------+',
        '      |        |      v',
        '      |        |  +-------+',
        '      |        |  | train |',
        '      |        |  +-------+',
        '      |        |      |',
        '      +------+-+------+',
        '             v',
        '        +----------+',
        '        | evaluate |',
        '        +----------+',
        '',
      ].join('\n'),
    );
  });

  it('lists a 60-node pipeline by layer when it does not fit the terminal', () => {
    const g = bigPipeline();
    expect(g.nodes).toHaveLength(60);
    const text = renderDagAscii(g, { width: 80 });
    expect(text).toBe(renderDagAscii(bigPipeline(), { width: 80 }));
    expect(text).toMatchSnapshot();
    const lines = text.trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(lines[0]).toBe('layer 1:');
    expect(lines).toContain('  train@2  <- featurize@4, featurize@5, params.dvc');
    expect(lines).toContain(
      '  report  <- evaluate@0, evaluate@1, evaluate@2, evaluate@3, evaluate@4,',
    );
    expect(lines).toContain('             evaluate@5, evaluate@6, evaluate@7');
    // Every node is listed once and every edge appears as an upstream.
    for (const n of g.nodes)
      expect(lines.filter((l) => l.trim().split(' ')[0] === n)).toHaveLength(1);
    const upstream = new Map<string, string[]>();
    let current = '';
    for (const l of lines) {
      const m = /^ {2}(\S+)\s+<- (.*)$/.exec(l);
      if (m) {
        current = m[1] ?? '';
        upstream.set(current, (m[2] ?? '').split(/,\s*/).filter(Boolean));
      } else if (/^ {3,}\S/.test(l)) {
        upstream.get(current)?.push(...l.trim().split(/,\s*/).filter(Boolean));
      }
    }
    for (const [a, b] of g.edges) expect(upstream.get(b)).toContain(a);
  });

  it('draws the 60-node pipeline in boxes on a wide terminal, and long chains always', () => {
    const wide = renderDagAscii(bigPipeline(), { width: 1000 });
    expect(wide).not.toContain('layer 1:');
    for (const n of bigPipeline().nodes) expect(wide).toContain(`| ${n} |`);
    const chain: TestGraph = { nodes: [], edges: [] };
    for (let i = 0; i < 60; i++) {
      chain.nodes.push(`stage_${i}`);
      if (i > 0) chain.edges.push([`stage_${i - 1}`, `stage_${i}`]);
    }
    const text = renderDagAscii(chain);
    expect(text.split('\n')).toHaveLength(60 * 3 + 59 * 2 + 1);
    expect(
      text.startsWith(
        ' +---------+\n | stage_0 |\n +---------+\n      |\n      v\n +---------+\n | stage_1 |\n',
      ),
    ).toBe(true);
    expect(text.endsWith('      v\n+----------+\n| stage_59 |\n+----------+\n')).toBe(true);
  });

  it('adds nodes that only appear in edges and ignores duplicate edges', () => {
    const text = renderDagAscii({
      nodes: [],
      edges: [
        ['a', 'b'],
        ['a', 'b'],
      ],
    });
    expect(text).toBe('+---+\n| a |\n+---+\n  |\n  v\n+---+\n| b |\n+---+\n');
  });

  it('refuses a cycle', () => {
    expect(() =>
      renderDagAscii({
        nodes: ['a', 'b'],
        edges: [
          ['a', 'b'],
          ['b', 'a'],
        ],
      }),
    ).toThrow(SluiceError);
  });

  it('is empty for an empty graph', () => {
    expect(renderDagAscii({ nodes: [], edges: [] })).toBe('');
  });
});
