import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanupSandboxes,
  git,
  makeRepo,
  sluice,
  sluiceOk,
  writeTree,
} from '../helpers/sandbox.js';

afterAll(() => cleanupSandboxes());

describe('the 0.x tutorial flow: metrics modify -t -x', () => {
  it('shows only the xpath value, at every revision', () => {
    const root = makeRepo('sluice');
    sluiceOk(
      root,
      'run',
      '-f',
      'evaluate.dvc',
      '-M',
      'auc.metric',
      '-M',
      'eval.json',
      `sh -c 'echo 0.588426 > auc.metric; printf "{\\"accuracy\\": 0.9, \\"loss\\": 0.3}" > eval.json'`,
    );
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'baseline');
    git(root, 'tag', 'baseline');
    sluiceOk(root, 'metrics', 'modify', 'eval.json', '-t', 'json', '-x', 'accuracy');
    sluiceOk(root, 'metrics', 'modify', 'auc.metric', '-t', 'raw');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'typed metrics');

    const shown = sluiceOk(root, 'metrics', 'show').stdout;
    expect(shown).toBe(
      [
        'Path                  accuracy',
        'auc.metric  0.588426  -',
        'eval.json   -         0.9',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(
      sluiceOk(root, 'metrics', 'show', '-a', '-T', '--json').stdout,
    ) as Record<string, { data: Record<string, { data: unknown }> }>;
    // The tag still has untyped metrics; main shows just the chosen values.
    expect(json.main?.data['eval.json']?.data).toEqual({ accuracy: 0.9 });
    expect(json.baseline?.data['eval.json']?.data).toEqual({ accuracy: 0.9, loss: 0.3 });
  });

  it('rejects an unknown type and a path that is not an output', () => {
    const root = makeRepo('sluice', { 'm.json': '{}' });
    const r = sluice(root, 'metrics', 'modify', 'm.json', '-t', 'xml');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^ERROR: unknown metric type 'xml'/);
    const r2 = sluice(root, 'metrics', 'modify', 'm.json', '-t', 'json');
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/^ERROR: 'm.json' is not an output of any stage/);
  });
});

describe('bad metrics files at some revisions', () => {
  it('shows an error for that file and revision, the others still show', () => {
    const root = makeRepo('sluice', {
      'dvc.yaml': 'metrics:\n- m.json\n- other.yaml\n',
      'm.json': '{"acc": 0.5}',
      'other.yaml': 'x: 1\n',
    });
    git(root, 'checkout', '-q', '-b', 'broken');
    writeTree(root, { 'm.json': '{"acc": ', 'other.yaml': Buffer.from([0, 1, 2, 255]) });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'broken');
    git(root, 'checkout', '-q', '-b', 'missing', 'main');
    git(root, 'rm', '-q', 'other.yaml');
    git(root, 'commit', '-q', '-m', 'missing');
    git(root, 'checkout', '-q', 'main');

    const r = sluiceOk(root, 'metrics', 'show', '-a', '--json');
    const json = JSON.parse(r.stdout) as Record<
      string,
      { data: Record<string, { data?: unknown; error?: { type: string; msg: string } }> }
    >;
    expect(json.main?.data['m.json']?.data).toEqual({ acc: 0.5 });
    expect(json.broken?.data['m.json']?.error?.type).toBe('JSONFileCorruptedError');
    expect(json.broken?.data['other.yaml']?.error?.type).toBe('YAMLFileCorruptedError');
    expect(json.missing?.data['other.yaml']?.error?.type).toBe('FileNotFoundError');
    expect(json.missing?.data['m.json']?.data).toEqual({ acc: 0.5 });

    const text = sluiceOk(root, 'metrics', 'show', '-a');
    expect(text.stdout).toContain('main        m.json      0.5    -');
    expect(text.stderr).toContain("broken: m.json: unable to read: 'm.json', JSON file structure");
    expect(text.stderr).toContain('binary content');
    expect(text.stderr).toContain("missing: other.yaml: 'other.yaml' does not exist");
    // One line per reason.
    for (const line of text.stderr.trim().split('\n')) expect(line.length).toBeLessThan(200);
  });

  it('a cached metrics file is read from the cache, or reported not in cache', () => {
    const root = makeRepo('sluice');
    sluiceOk(root, 'run', '-n', 'train', '-m', 'm.json', `sh -c 'echo "{\\"acc\\": 1}" > m.json'`);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'train');
    rmSync(join(root, 'm.json'));
    const ok = JSON.parse(sluiceOk(root, 'metrics', 'show', '-a', '--json').stdout) as Record<
      string,
      { data: Record<string, { data?: unknown; error?: { type: string } }> }
    >;
    expect(ok.main?.data['m.json']?.data).toEqual({ acc: 1 });
    rmSync(join(root, '.dvc', 'cache'), { recursive: true, force: true });
    const r = sluiceOk(root, 'metrics', 'show', '-a');
    expect(r.stderr).toContain("main: m.json: 'm.json' is not in cache");
  });

  it('an unknown revision is one ERROR line', () => {
    const root = makeRepo('sluice', { 'params.yaml': 'a: 1\n' });
    const r = sluice(root, 'params', 'diff', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ERROR: unknown Git revision 'nope'\n");
  });
});
