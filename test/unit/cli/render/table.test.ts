import { describe, expect, it } from 'vitest';
import {
  displayWidth,
  formatCsv,
  formatTable,
  renderTable,
} from '../../../../src/cli/render/table.js';

// Expected strings come from python tabulate 0.10.0 (the one DVC 3.67 ships) and real dvc output.
describe('formatTable', () => {
  it('plain: two-space separators, header width + 2 minimum, right-trimmed lines', () => {
    expect(
      formatTable(
        ['Path', 'x'],
        [
          ['a', '1'],
          ['bbbbbb', '22'],
        ],
        'plain',
      ),
    ).toBe('Path    x\na       1\nbbbbbb  22');
  });

  it('github: padded cells and a dash separator row', () => {
    expect(
      formatTable(
        ['Path', 'x'],
        [
          ['a', '1'],
          ['bbbbbb', '22'],
        ],
        'github',
      ),
    ).toBe('| Path   | x   |\n|--------|-----|\n| a      | 1   |\n| bbbbbb | 22  |');
  });

  it('matches dvc metrics diff and dvc metrics diff --md', () => {
    const headers = ['Path', 'Metric', 'HEAD', 'workspace', 'Change'];
    const rows = [
      ['metrics.json', 'a', '1', '2', '1'],
      ['metrics.json', 'zz', null, 'hello world', null],
    ];
    expect(formatTable(headers, rows, 'plain')).toBe(
      [
        'Path          Metric    HEAD    workspace    Change',
        'metrics.json  a         1       2            1',
        'metrics.json  zz        -       hello world  -',
      ].join('\n'),
    );
    expect(renderTable(headers, rows, { markdown: true })).toBe(
      [
        '| Path         | Metric   | HEAD   | workspace   | Change   |',
        '|--------------|----------|--------|-------------|----------|',
        '| metrics.json | a        | 1      | 2           | 1        |',
        '| metrics.json | zz       | -      | hello world | -        |',
        '',
        '',
      ].join('\n'),
    );
  });

  it('matches dvc metrics show', () => {
    expect(renderTable(['Path', 'a', 'b.c'], [['metrics.json', '1', '2.5']])).toBe(
      'Path          a    b.c\nmetrics.json  1    2.5\n',
    );
  });

  it('prints missing values as "-" and strips cell whitespace', () => {
    expect(
      formatTable(
        ['P', 'xyzw'],
        [
          ['a', null],
          [' b ', ''],
        ],
        'plain',
      ),
    ).toBe('P    xyzw\na    -\nb');
    expect(
      formatTable(
        ['P', 'xyzw'],
        [
          ['a', null],
          [' b ', ''],
        ],
        'github',
      ),
    ).toBe('| P   | xyzw   |\n|-----|--------|\n| a   | -      |\n| b   |        |');
    expect(formatTable(['P'], [[' b ']], 'plain', { preserveWhitespace: true })).toBe('P\n b');
  });

  it('handles empty headers, no headers and no rows like tabulate', () => {
    expect(
      formatTable(
        ['', ''],
        [
          ['a', 'x'],
          ['b', ''],
        ],
        'plain',
      ),
    ).toBe('\na   x\nb');
    expect(
      formatTable(
        ['', ''],
        [
          ['a', 'x'],
          ['b', ''],
        ],
        'github',
      ),
    ).toBe('|    |    |\n|----|----|\n| a  | x  |\n| b  |    |');
    expect(formatTable([], [['a', 'b']], 'plain')).toBe('a  b');
    expect(formatTable([], [['a', 'b']], 'github')).toBe('|---|---|\n| a | b |');
    expect(formatTable(['Path', 'x'], [], 'plain')).toBe('Path    x');
    expect(formatTable(['Path', 'x'], [], 'github')).toBe('| Path   | x   |\n|--------|-----|');
    expect(formatTable(['x'], [['a', 'b']], 'github')).toBe(
      '|    | x   |\n|----|-----|\n| a  | b   |',
    );
    expect(formatTable([], [], 'plain')).toBe('');
  });

  it('splits multi-line cells', () => {
    expect(
      formatTable(
        ['h', 'k'],
        [
          ['a', 'x\ny'],
          ['b', ''],
        ],
        'plain',
      ),
    ).toBe('h    k\na    x\n     y\nb');
    expect(
      formatTable(
        ['h', 'k'],
        [
          ['a', 'x\ny'],
          ['b', ''],
        ],
        'github',
      ),
    ).toBe('| h   | k   |\n|-----|-----|\n| a   | x   |\n|     | y   |\n| b   |     |');
  });

  it('measures wide characters as two columns', () => {
    expect(formatTable(['h', 'k', 'z'], [['é', '日本', 'x']], 'plain')).toBe(
      'h    k     z\né    日本  x',
    );
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('renderTable', () => {
  it('prints nothing for a plain table without rows, but the headers in markdown', () => {
    expect(renderTable(['Path'], [])).toBe('');
    expect(renderTable(['Path'], [], { markdown: true })).toBe('| Path   |\n|--------|\n\n');
  });
});

describe('formatCsv', () => {
  it('quotes like python csv.writer and ends lines with CRLF', () => {
    expect(
      formatCsv(
        ['a', 'b,c', 'd"e', 'x\ny', '', ' s ', '\r', 'a\tb'],
        [[], [''], ['', ''], [null, 'é']],
      ),
    ).toBe('a,"b,c","d""e","x\ny",, s ,"\r",a\tb\r\n\r\n""\r\n,\r\n,é\r\n');
  });
});
