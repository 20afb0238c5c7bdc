import { describe, expect, it } from 'vitest';
import {
  renderCheckoutLines,
  renderCloudStatus,
  renderDataDiff,
  renderDataDiffMarkdown,
  renderStatus,
  summarizeChanges,
  type DataDiff,
} from '../../../../src/cli/render/statusText.js';

// Expected strings were recorded from DVC 3.67.
describe('renderStatus', () => {
  it('matches dvc status for changed deps, params and outs', () => {
    const result = {
      featurization: [{ 'changed deps': { 'data/train_data.csv': 'modified' } }],
      training: [{ 'changed deps': { 'params.yaml': { lr: 'modified' } } }],
      'other.dvc': [{ 'changed outs': { other: 'deleted' } }],
      'data/train_data.csv.dvc': [{ 'changed outs': { 'data/train_data.csv': 'modified' } }],
    };
    expect(renderStatus(result)).toBe(
      [
        'featurization:',
        '\tchanged deps:',
        '\t\tmodified:           data/train_data.csv',
        'training:',
        '\tchanged deps:',
        '\t\tparams.yaml:',
        '\t\t\tmodified:           lr',
        'other.dvc:',
        '\tchanged outs:',
        '\t\tdeleted:            other',
        'data/train_data.csv.dvc:',
        '\tchanged outs:',
        '\t\tmodified:           data/train_data.csv',
        '',
      ].join('\n'),
    );
  });

  it('prints string items and several entries per group', () => {
    const result = {
      training: [
        { 'changed deps': { 'feats.csv': 'deleted', 'params.yaml': 'new' } },
        { 'changed outs': { 'model.pkl': 'deleted' } },
        'always changed',
        'changed command',
      ],
    };
    expect(renderStatus(result)).toBe(
      [
        'training:',
        '\tchanged deps:',
        '\t\tdeleted:            feats.csv',
        '\t\tnew:                params.yaml',
        '\tchanged outs:',
        '\t\tdeleted:            model.pkl',
        '\talways changed',
        '\tchanged command',
        '',
      ].join('\n'),
    );
  });

  it('skips empty stages and renders nothing when up to date', () => {
    // Like DVC: a non-empty list prints its header even if its only map is empty.
    expect(renderStatus({ a: [], b: [{ 'changed deps': {} }] })).toBe('b:\n');
    expect(renderStatus({})).toBe('');
  });
});

describe('renderCloudStatus', () => {
  it('indents each object by one TAB', () => {
    expect(renderCloudStatus({ 'data/file': 'new', 'dir/a': 'deleted', foo: 'missing' })).toBe(
      '\tnew:                data/file\n\tdeleted:            dir/a\n\tmissing:            foo\n',
    );
    expect(renderCloudStatus({})).toBe('');
  });
});

function emptyDiff(): DataDiff {
  return { added: [], deleted: [], modified: [], renamed: [], 'not in cache': [] };
}

describe('renderDataDiff', () => {
  const diff: DataDiff = {
    ...emptyDiff(),
    deleted: [{ path: 'other', hash: '401b30e3b8b5d629635a5c613cdb7919' }],
    modified: [
      {
        path: 'data/train_data.csv',
        hash: { old: 'f69f5b72b8a0ab4c5d0f1c1e2b3c4d5e', new: '46cd49ec0e5a7d7f00b1c2d3e4f5a6b7' },
      },
    ],
  };

  it('matches dvc diff', () => {
    expect(renderDataDiff(diff, { showHash: false, hideMissing: false })).toBe(
      'Deleted:\n    other\n\nModified:\n    data/train_data.csv\n\nfiles summary: 1 deleted, 1 modified\n',
    );
  });

  it('matches dvc diff --show-hash', () => {
    expect(renderDataDiff(diff, { showHash: true, hideMissing: false })).toBe(
      'Deleted:\n    401b30e3  other\n\nModified:\n    f69f5b72..46cd49ec  data/train_data.csv\n\nfiles summary: 1 deleted, 1 modified\n',
    );
  });

  it('matches dvc diff --md --show-hash', () => {
    expect(renderDataDiffMarkdown(diff, { showHash: true, hideMissing: false })).toBe(
      [
        '| Status   | Hash               | Path                |',
        '|----------|--------------------|---------------------|',
        '| deleted  | 401b30e3           | other               |',
        '| modified | f69f5b72..46cd49ec | data/train_data.csv |',
        '',
        '',
      ].join('\n'),
    );
  });

  it('sorts entries, does not count directories, shows renames and hides not-in-cache', () => {
    const d: DataDiff = {
      ...emptyDiff(),
      added: [
        { path: 'dir/b', hash: 'bbbbbbbbbb' },
        { path: 'dir/', hash: 'dddddddddd.dir' },
        { path: 'dir/a', hash: 'aaaaaaaaaa' },
      ],
      renamed: [{ path: { old: 'x', new: 'y' }, hash: 'cccccccccc' }],
      'not in cache': [{ path: 'z', hash: 'eeeeeeeeee' }],
    };
    expect(renderDataDiff(d, { showHash: false, hideMissing: false })).toBe(
      'Added:\n    dir/\n    dir/a\n    dir/b\n\nRenamed:\n    x -> y\n\nNot in cache:\n    z\n\n' +
        'files summary: 2 added, 1 renamed, 1 not in cache\n',
    );
    expect(renderDataDiff(d, { showHash: false, hideMissing: true })).toBe(
      'Added:\n    dir/\n    dir/a\n    dir/b\n\nRenamed:\n    x -> y\n\nfiles summary: 2 added, 1 renamed\n',
    );
  });

  it('prints only a directory group without a summary, and nothing without changes', () => {
    const d: DataDiff = { ...emptyDiff(), added: [{ path: 'dir/', hash: 'x.dir' }] };
    expect(renderDataDiff(d, { showHash: false, hideMissing: false })).toBe('Added:\n    dir/\n\n');
    expect(renderDataDiff(emptyDiff(), { showHash: false, hideMissing: false })).toBe('');
  });
});

describe('renderCheckoutLines', () => {
  it('matches dvc checkout: M/A/D groups, directories first, TAB expanded', () => {
    expect(
      renderCheckoutLines({
        modified: ['data/train_data.csv', 'dd/'],
        added: ['other'],
        deleted: [],
      }),
    ).toBe('M       dd/\nM       data/train_data.csv\nA       other\n');
    expect(renderCheckoutLines({ modified: [], added: ['b', 'z/', 'a'], deleted: ['x'] })).toBe(
      'A       z/\nA       a\nA       b\nD       x\n',
    );
    expect(renderCheckoutLines({ modified: [], added: [], deleted: [] })).toBe('');
  });
});

describe('summarizeChanges', () => {
  it('uses get_summary wording', () => {
    expect(summarizeChanges({ modified: 2, added: 2, deleted: 1 })).toBe(
      '2 files modified, 2 files added and 1 file deleted',
    );
    expect(summarizeChanges({ modified: 1, added: 3, deleted: 1 })).toBe(
      '1 file modified, 3 files added and 1 file deleted',
    );
    expect(summarizeChanges({ fetched: 6, modified: 1, added: 0, deleted: 2 })).toBe(
      '6 files fetched, 1 file modified and 2 files deleted',
    );
    expect(summarizeChanges({ added: 1 })).toBe('1 file added');
    expect(summarizeChanges({ pushed: 3 })).toBe('3 files pushed');
  });

  it('falls back to the empty message', () => {
    expect(summarizeChanges({ modified: 0, added: 0, deleted: 0 })).toBe('No changes.');
    expect(summarizeChanges({ fetched: 0 }, 'Everything is up to date.')).toBe(
      'Everything is up to date.',
    );
  });
});
