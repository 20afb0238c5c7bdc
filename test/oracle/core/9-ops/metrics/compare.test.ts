import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  metricsDiff,
  metricsDiffTable,
  metricsShowTable,
  paramsDiff,
  paramsDiffTable,
} from '../../../../../src/core/9-ops/metrics/compare.js';
import type {
  RevisionData,
  RevisionMetrics,
} from '../../../../../src/core/9-ops/metrics/compare.js';
import {
  loadStructuredFile,
  parseMetricsFile,
} from '../../../../../src/core/7-metafiles/metricsFile.js';
import { Git } from '../../../../../src/core/6-repo/git.js';
import { pyJsonDumps } from '../../../../../src/core/1-base/pyjson.js';
import type { PyValue } from '../../../../../src/core/1-base/pyjson.js';
import { dvcBinary, requireTool, toolsDir } from '../../../../helpers/tools.js';

// ---------------------------------------------------------------------------------------------
// Against real DVC.

/** tabulate "plain" with DVC's settings (left aligned, min padding 2), lines right-stripped. */
function plain(rows: string[][]): string {
  if (rows.length === 0) return '';
  const header = rows[0];
  const widths = header.map((h, i) =>
    Math.max(h.length + 2, ...rows.slice(1).map((r) => (r[i] ?? '').length)),
  );
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Header, then the body sorted (DVC orders files by a Python set). */
function sortedBody(text: string): string[] {
  const lines = text.trimEnd().split('\n');
  return [lines[0], ...lines.slice(1).sort()];
}

describe('against real DVC', () => {
  let dir: string;
  let dvc: string;
  const env = {
    ...process.env,
    DVC_NO_ANALYTICS: '1',
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  const run = (cmd: string, ...args: string[]): string =>
    execFileSync(cmd, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const put = (rel: string, text: string): void => writeFileSync(join(dir, rel), text);
  /**
   * Python's canonical json.dumps(sort_keys=True) of DVC's JSON output; with `dropErrors`, the
   * `metrics show` entries of files that failed to load are removed first.
   */
  const canonical = (json: string, dropErrors = false): string =>
    execFileSync(
      join(toolsDir, 'dvc-venv', 'bin', 'python'),
      [
        '-c',
        [
          'import json,sys',
          'd = json.load(sys.stdin)',
          'if sys.argv[1] == "1":',
          '    for rev in d.values():',
          '        for f in [f for f, e in rev["data"].items() if "error" in e]: del rev["data"][f]',
          'print(json.dumps(d, sort_keys=True), end="")',
        ].join('\n'),
        dropErrors ? '1' : '0',
      ],
      { input: json, encoding: 'utf8' },
    );
  const metricFiles = ['metrics.json', 'm.yaml', 'nested/s.toml'];

  beforeAll(() => {
    dvc = requireTool(dvcBinary, 'scripts/ensure-tools.sh');
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-metrics-')));
    run('git', 'init', '-q', '-b', 'master');
    run(dvc, 'init', '-q');
    put('dvc.yaml', 'metrics:\n- metrics.json\n- m.yaml\n- nested/s.toml\n');
    execFileSync('mkdir', ['-p', join(dir, 'nested')]);
    put(
      'metrics.json',
      '{"acc": 0.123456789, "loss": 1.0, "s": "a", "n": 3, "b": true, "lst": [1], "nul": null, "deep": {"x": {"y": 1234.56789}}}',
    );
    put('m.yaml', '1\n');
    put('nested/s.toml', 'a = 1\nf = 1.0\n[t]\nb = 2.5\n');
    put(
      'params.yaml',
      'lr: 0.1\nlist: [1, 2]\nl1: [5]\nnest:\n  a: 1\n  e: {}\nnul: null\nf: 1.0\nstr: hello\n',
    );
    run('git', 'add', '-A');
    run('git', 'commit', '-qm', 'one');
    run('git', 'tag', 'v1');
    put(
      'metrics.json',
      '{"acc": 0.30000001, "loss": 0.5, "s": "b", "n": 3, "b": false, "new": 2, "deep": {"x": {"y": 1e-7}}}',
    );
    put('m.yaml', '2\n');
    put('nested/s.toml', 'a = 2\nf = 1.5\n');
    put(
      'params.yaml',
      'lr: 0.2\nlist: [1, 3]\nl1: [6]\nnest:\n  a: 1\n  e: {}\nnul: null\nf: 2\nstr: hello\nadded: x\n',
    );
    run('git', 'commit', '-qam', 'two');
    run('git', 'checkout', '-qb', 'other');
    put('m.yaml', '3\n');
    run('git', 'commit', '-qam', 'three');
    run('git', 'checkout', '-q', 'master');
    put('metrics.json', '{"acc": 0.015625, "loss": 0.5, "b": 1, "s": "b"}');
    put('m.yaml', 'x: [oops\n'); // unreadable in the workspace
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function revisionData(g: Git, rev: string, files: string[]): Promise<RevisionData> {
    const out: RevisionData = {};
    const blobs =
      rev === 'workspace'
        ? files.map((f) => readFileSync(join(dir, f)))
        : await g.readBlobs(files.map((path) => ({ rev, path })));
    files.forEach((file, i) => {
      const blob = blobs[i];
      if (blob == null) return;
      try {
        out[file] = parseMetricsFile(file, blob);
      } catch {
        // unreadable: absent from the data, as DVC's diff treats errors
      }
    });
    return out;
  }

  it('metrics show -a -T: JSON data and the table', async () => {
    const g = (await Git.find(dir))!;
    const revs = await g.iterRevs({ allBranches: true, allTags: true });
    const names = ['workspace', ...[...revs.values()].map((n) => n.join(','))];
    const shas = ['workspace', ...revs.keys()];
    const table: RevisionMetrics[] = [];
    const json: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const data = await revisionData(g, shas[i], metricFiles);
      table.push({
        rev: names[i],
        files: metricFiles.map((path) => ({ path, data: data[path] })),
      });
      json[names[i]] = {
        data: Object.fromEntries(
          metricFiles.filter((f) => f in data).map((f) => [f, { data: data[f] }]),
        ),
      };
    }
    await g.close();

    const dvcOut = run(dvc, 'metrics', 'show', '-a', '-T', '--json');
    expect(Object.keys(JSON.parse(dvcOut) as object)).toEqual(names);
    // Files that failed to load (m.yaml in the workspace) are left out on both sides.
    expect(pyJsonDumps(json as PyValue)).toBe(canonical(dvcOut, true));

    const dvcText = run(dvc, 'metrics', 'show', '-a', '-T');
    expect(plain(metricsShowTable(table, { showRevision: true }))).toBe(dvcText.trimEnd());
    const dvcText3 = run(dvc, 'metrics', 'show', '--precision', '3');
    expect(plain(metricsShowTable([table[0]], { showRevision: false, precision: 3 }))).toBe(
      dvcText3.trimEnd(),
    );
  });

  it.each([
    [['HEAD~1'], 'HEAD~1', undefined],
    [['v1', 'other', '--all'], 'v1', 'other'],
    [['v1', 'HEAD', '--precision', '2'], 'v1', 'HEAD'],
  ] as const)('metrics diff %j: JSON and table', async (args, a, b) => {
    const g = (await Git.find(dir))!;
    const all = (args as readonly string[]).includes('--all');
    const precision = (args as readonly string[]).includes('--precision') ? 2 : undefined;
    const old = await revisionData(g, a, metricFiles);
    const cur = await revisionData(g, b ?? 'workspace', metricFiles);
    await g.close();
    const ours = metricsDiff(old, cur, { all });
    const dvcJson = run(dvc, 'metrics', 'diff', ...args, '--json');
    expect(pyJsonDumps(ours as unknown as PyValue)).toBe(canonical(dvcJson));
    const dvcText = run(dvc, 'metrics', 'diff', ...args);
    const table = metricsDiffTable(ours, { aRev: a, bRev: b, precision });
    expect(sortedBody(plain(table))).toEqual(sortedBody(dvcText));
    const noPath = run(dvc, 'metrics', 'diff', ...args, '--no-path');
    expect(
      sortedBody(plain(metricsDiffTable(ours, { aRev: a, bRev: b, precision, noPath: true }))),
    ).toEqual(sortedBody(noPath));
  });

  it('params diff --all: JSON and table', async () => {
    const g = (await Git.find(dir))!;
    const oldBlob = await g.readBlob('HEAD~1', 'params.yaml');
    await g.close();
    const old = { 'params.yaml': loadStructuredFile('params.yaml', oldBlob!) };
    const cur = {
      'params.yaml': loadStructuredFile('params.yaml', readFileSync(join(dir, 'params.yaml'))),
    };
    for (const all of [true, false]) {
      const flags = all ? ['--all'] : [];
      const ours = paramsDiff(old, cur, { all });
      const dvcJson = run(dvc, 'params', 'diff', 'HEAD~1', ...flags, '--json');
      expect(pyJsonDumps(ours as unknown as PyValue)).toBe(canonical(dvcJson));
      const dvcText = run(dvc, 'params', 'diff', 'HEAD~1', ...flags);
      expect(sortedBody(plain(paramsDiffTable(ours, { aRev: 'HEAD~1' })))).toEqual(
        sortedBody(dvcText),
      );
    }
  });
  it('params diff: list values show their strings as Python repr escapes them (\\xa0, \\xad, \\u200b)', () => {
    // Python's repr escapes every character str.isprintable() refuses: \xa0 and \xad too.
    const repo = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-params-repr-')));
    try {
      const at = (...args: string[]): string =>
        execFileSync(args[0], args.slice(1), { cwd: repo, env, encoding: 'utf8' });
      at('git', 'init', '-q', '-b', 'master');
      at(dvc, 'init', '-q');
      const before = 'tags: ["a\\xa0b", "soft\\xadx", "z\\u200bw", "it\'s", "\\u2028"]\nlr: 1\n';
      writeFileSync(join(repo, 'params.yaml'), before);
      writeFileSync(
        join(repo, 'dvc.yaml'),
        'stages:\n  s:\n    cmd: echo\n    params: [tags, lr]\n',
      );
      at('git', 'add', '-A');
      at('git', 'commit', '-qm', 'one');
      writeFileSync(join(repo, 'params.yaml'), 'tags: ["b\\xa0"]\nlr: 1\n');
      const old = { 'params.yaml': loadStructuredFile('params.yaml', Buffer.from(before)) };
      const cur = {
        'params.yaml': loadStructuredFile('params.yaml', readFileSync(join(repo, 'params.yaml'))),
      };
      const ours = paramsDiff(old, cur, { all: false });
      expect(plain(paramsDiffTable(ours, { aRev: 'HEAD' }))).toBe(
        at(dvc, 'params', 'diff').trimEnd(),
      );
      expect(pyJsonDumps(ours as unknown as PyValue)).toBe(
        canonical(at(dvc, 'params', 'diff', '--json')),
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
