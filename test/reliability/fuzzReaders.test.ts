import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseDocument, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDirObject, serializeDirObject } from '../../src/core/3-objects/dirObject.js';
import {
  parseConfigObj,
  serializeConfigObj,
  type ConfigData,
} from '../../src/core/6-repo/configobj.js';
import { SluiceError } from '../../src/core/1-base/errors.js';
import { loadDvcYaml } from '../../src/core/7-metafiles/dvcYaml.js';
import { PipelineFile } from '../../src/core/7-metafiles/pipelineFile.js';
import { parseParamsFile } from '../../src/core/7-metafiles/paramsFile.js';
import { Repo } from '../../src/core/6-repo/repo.js';
import { loadDvcFile } from '../../src/core/7-metafiles/dvcFile.js';
import { compareCodePoints } from '../../src/core/1-base/python.js';
import { DvcIgnore } from '../../src/core/5-workspace/dvcIgnore.js';
import { dvcDataDir } from '../helpers/dvcDataOracle.js';
import { recordReliability } from '../helpers/reliabilityReport.js';
import { cleanupSandboxes, makeRepo, sluice, tempDir, writeTree } from '../helpers/sandbox.js';
import { errorLines, md5 } from './hostileHelpers.js';

/**
 * Property tests of every reader of user-controlled text: whatever the bytes, a reader returns a
 * value or throws a SluiceError (one clear line for the CLI), never a TypeError, RangeError or a
 * hang. Writers must round-trip what they accept. The seed is fixed so a failure reproduces;
 * SLUICE_FUZZ_SEED and SLUICE_FUZZ_RUNS change it and the number of runs per property.
 */

const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261127);
const RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 250);
const params = { seed: SEED, numRuns: RUNS };

const inputsTried: Record<string, number> = {};
/** Inputs each reader refused, replayed through the real binary at the end. */
const refused: Record<string, string[]> = {};

/** Runs `read`, and accepts only a value or a SluiceError. */
function readsCleanly(reader: string, text: string, read: (text: string) => unknown): boolean {
  inputsTried[reader] = (inputsTried[reader] ?? 0) + 1;
  try {
    read(text);
  } catch (error) {
    if (!(error instanceof SluiceError)) {
      throw new Error(
        `${reader} threw ${String(error)} for ${JSON.stringify(text.slice(0, 300))}`,
        { cause: error },
      );
    }
    expect(error.message.length).toBeGreaterThan(0);
    const list = (refused[reader] ??= []);
    if (list.length < 50) list.push(text);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Input generators

/** Pieces of YAML syntax and the keys the readers look for, glued into token soup. */
const YAML_TOKENS = [
  '- ',
  ': ',
  ':',
  '\n',
  '\n  ',
  '\n    ',
  '  ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '&a ',
  '*a',
  '&b ',
  '*b',
  '<<: *a',
  '? ',
  '|',
  '>-',
  '#',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '!!python/object ',
  '!!binary ',
  '!!str ',
  '!!int ',
  '!!float ',
  '~',
  'null',
  'true',
  'no',
  '1e3',
  '0x1F',
  '.inf',
  '.nan',
  '-0',
  '1.0',
  '12:30:00',
  '2026-01-01',
  'outs',
  'deps',
  'path',
  'md5',
  'hash',
  'size',
  'nfiles',
  'isexec',
  'cmd',
  'wdir',
  'stages',
  'schema',
  "'2.0'",
  'params',
  'vars',
  'foreach',
  'do',
  'matrix',
  '${item}',
  '${a.b}',
  '${',
  'metrics',
  'plots',
  'frozen',
  'cache',
  'persist',
  '../x',
  '/abs',
  'a/b',
  'd41d8cd98f00b204e9800998ecf8427e',
  '.dir',
  '\t',
  '\r\n',
  '\u00e9',
  '\u{1F680}',
  '\uFEFF',
  '\u0000',
  '\\',
  '\\u0000',
  '=',
];

const tokenSoup = fc
  .array(fc.constantFrom(...YAML_TOKENS), { maxLength: 60 })
  .map((tokens) => tokens.join(''));

/** Plausible documents (JSON-like values dumped as YAML) with one random edit. */
function mutatedDocument(shape: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc
    .tuple(shape, fc.nat(), fc.constantFrom(...YAML_TOKENS), fc.boolean())
    .map(([value, at, token, edit]) => {
      let text: string;
      try {
        text = toYaml(value);
      } catch {
        text = JSON.stringify(value) ?? '';
      }
      if (!edit || text.length === 0) return text;
      const i = at % text.length;
      return text.slice(0, i) + token + text.slice(i);
    });
}

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('../escape', '/abs/path', 'a/./b', 'md5', '${x}', ''),
);
const entryShape = fc.dictionary(
  fc.constantFrom('path', 'md5', 'hash', 'size', 'nfiles', 'isexec', 'cache', 'persist', 'extra'),
  fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })),
);
const dvcShape = fc.record(
  {
    outs: fc.oneof(fc.array(entryShape, { maxLength: 3 }), scalar),
    deps: fc.array(entryShape, { maxLength: 2 }),
    wdir: scalar,
    md5: scalar,
    cmd: fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })),
    frozen: scalar,
  },
  { requiredKeys: [] },
);
const stageShape = fc.record(
  {
    cmd: fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })),
    deps: fc.array(fc.oneof(scalar, entryShape), { maxLength: 3 }),
    outs: fc.array(fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 6 }), entryShape)), {
      maxLength: 3,
    }),
    params: fc.array(
      fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 6 }), fc.array(scalar))),
      {
        maxLength: 2,
      },
    ),
    wdir: scalar,
    foreach: fc.oneof(fc.array(scalar, { maxLength: 3 }), scalar),
    do: fc.dictionary(fc.constantFrom('cmd', 'outs'), scalar),
    matrix: fc.dictionary(fc.string({ maxLength: 4 }), fc.array(scalar, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);
const dvcYamlShape = fc.record(
  {
    stages: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 8 }), stageShape, { maxKeys: 3 }),
      scalar,
    ),
    vars: fc.array(fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 4 }), scalar)), {
      maxLength: 2,
    }),
    metrics: fc.array(scalar, { maxLength: 2 }),
    plots: fc.array(fc.oneof(scalar, fc.dictionary(fc.string({ maxLength: 4 }), scalar)), {
      maxLength: 2,
    }),
  },
  { requiredKeys: [] },
);
const lockShape = fc.record(
  {
    schema: fc.oneof(fc.constant('2.0'), scalar),
    stages: fc.oneof(
      fc.dictionary(
        fc.string({ maxLength: 8 }),
        fc.record(
          {
            cmd: scalar,
            deps: fc.array(entryShape, { maxLength: 2 }),
            outs: fc.array(entryShape, { maxLength: 2 }),
            params: fc.dictionary(fc.string({ maxLength: 8 }), fc.dictionary(fc.string(), scalar)),
          },
          { requiredKeys: [] },
        ),
        { maxKeys: 3 },
      ),
      scalar,
    ),
  },
  { requiredKeys: [] },
);

const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  tokenSoup,
);
const yamlInput = (shape: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof(anyText, mutatedDocument(shape), mutatedDocument(fc.jsonValue({ maxDepth: 4 })));

// ---------------------------------------------------------------------------------------------

let repo: Repo;
let repoDir: string;

beforeAll(async () => {
  repoDir = makeRepo('sluice');
  repo = await Repo.open(repoDir);
});
afterAll(() => cleanupSandboxes());

describe('fuzzed metafile and params readers never crash', () => {
  it('.dvc files (load + schema + paths)', () => {
    fc.assert(
      fc.property(yamlInput(dvcShape), (text) =>
        readsCleanly('.dvc', text, (t) => {
          writeFileSync(join(repoDir, 'fuzz.dvc'), t);
          return loadDvcFile(repo, 'fuzz.dvc');
        }),
      ),
      params,
    );
  });

  it('dvc.yaml (parse, validate, interpolate)', () => {
    const paramsText = 'a: 1\nb:\n  c: [1, 2]\nx: hello\nitem: 3\n';
    fc.assert(
      fc.property(yamlInput(dvcYamlShape), (text) =>
        readsCleanly('dvc.yaml', text, (t) =>
          loadDvcYaml(t, {
            file: 'dvc.yaml',
            readFile: (rel) => (rel === 'params.yaml' ? paramsText : undefined),
          }),
        ),
      ),
      params,
    );
  });

  it('dvc.lock (the loader every command uses, with a stage that reads its entry)', () => {
    writeFileSync(
      join(repoDir, 'dvc.yaml'),
      'stages:\n  s:\n    cmd: echo\n    deps: [d]\n    params: [p]\n    outs: [o]\n',
    );
    fc.assert(
      fc.property(yamlInput(lockShape), (text) =>
        readsCleanly('dvc.lock', text, (t) => {
          writeFileSync(join(repoDir, 'dvc.lock'), t);
          return PipelineFile.load(repo, 'dvc.yaml');
        }),
      ),
      params,
    );
  });

  for (const [file, input] of [
    ['params.yaml', yamlInput(fc.jsonValue({ maxDepth: 4 }))],
    [
      'params.json',
      fc.oneof(
        anyText,
        fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
        fc
          .tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.constantFrom(...YAML_TOKENS))
          .map(([v, at, tok]) => {
            const t = JSON.stringify(v);
            return t.slice(0, at % (t.length + 1)) + tok + t.slice(at % (t.length + 1));
          }),
        fc.nat({ max: 3000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
      ),
    ],
    [
      'params.toml',
      fc.oneof(
        anyText,
        fc
          .array(
            fc.oneof(
              fc.constantFrom(
                '[a]',
                '[[b]]',
                'x = 1',
                'y = "s"',
                'z = [1, 2]',
                't = 1979-05-27',
                '[a.b]',
                'w = { p = 1 }',
                'q = 1.0',
                'r = inf',
                'k = """',
                "'''",
                '=',
                '[',
                '"',
              ),
              fc.string({ maxLength: 8 }),
            ),
            { maxLength: 12 },
          )
          .map((lines) => lines.join('\n')),
        fc.nat({ max: 3000 }).map((n) => `a = ${'['.repeat(n)}${']'.repeat(n)}`),
      ),
    ],
    [
      'params.py',
      fc.oneof(
        anyText,
        fc
          .array(
            fc.oneof(
              fc.constantFrom(
                'A = 1',
                'B = "s"',
                'class C:',
                '    D = 2',
                'E = [1, 2]',
                'F = {"k": 1}',
                'G: int = 3',
                'import os',
                'def f():',
                '(',
                ')',
                'H = 1.5',
                'I = True',
                'J = None',
                'K = (1,)',
              ),
              fc.string({ maxLength: 8 }),
            ),
            { maxLength: 12 },
          )
          .map((lines) => lines.join('\n')),
      ),
    ],
  ] as const) {
    it(`${file}`, () => {
      fc.assert(
        fc.property(input, (text) => readsCleanly(file, text, (t) => parseParamsFile(file, t))),
        params,
      );
    });
  }
});

describe('fuzzed configobj INI', () => {
  const iniTokens = fc.constantFrom(
    '[core]',
    '[cache]',
    '[\'remote "s3"\']',
    '[remote "x"]',
    '[[nested]]',
    '[',
    ']',
    '\n',
    '    ',
    'remote = s3',
    'url = s3://b/p',
    'autostage = true',
    'type = "reflink,copy"',
    'a = "x',
    "b = 'y",
    'c = """',
    "d = '''",
    'e = 1, 2, 3',
    'f = ,',
    '=',
    '# c',
    ' ; c',
    '\\',
    'g = "q" # t',
    'h = "a", "b"',
    '\t',
    '\u00e9',
    '\r\n',
  );
  const iniText = fc.oneof(
    anyText,
    fc
      .array(fc.oneof(iniTokens, fc.string({ maxLength: 6 })), { maxLength: 30 })
      .map((t) => t.join('')),
    fc.array(iniTokens, { maxLength: 20 }).map((t) => t.join('\n')),
  );

  it('never crashes on any text', () => {
    fc.assert(
      fc.property(iniText, (text) =>
        readsCleanly('configobj', text, (t) => parseConfigObj(t, 'config')),
      ),
      params,
    );
  });

  it('what it writes, it reads back the same (or it refuses to write it)', () => {
    // Names are case-insensitive: like DVC, the reader lower-cases sections and options.
    const name = fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,10}$/);
    const value = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('', ' lead', 'trail ', 'a,b', '"q"', "'s'", 'x # y', 'multi\nline', '\\'),
    );
    const data = fc.dictionary(
      fc.oneof(
        name,
        name.map((n) => `remote "${n}"`),
      ),
      // (an empty section is not written, as configobj does)
      fc.dictionary(name, fc.oneof(value, fc.array(value, { minLength: 2, maxLength: 3 })), {
        minKeys: 1,
        maxKeys: 4,
      }),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(data, (config: ConfigData) => {
        inputsTried['configobj round trip'] = (inputsTried['configobj round trip'] ?? 0) + 1;
        let text: string;
        try {
          text = serializeConfigObj(config);
        } catch (error) {
          expect(error).toBeInstanceOf(SluiceError);
          return true;
        }
        expect(parseConfigObj(text, 'config')).toEqual(config);
        return true;
      }),
      params,
    );
  });
});

describe('fuzzed .dir listings and .dvcignore', () => {
  const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
  const segment = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
    .filter(
      (s) => !s.includes('/') && !s.includes('\\') && !s.includes('\0') && s !== '.' && s !== '..',
    );
  const relpath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

  it('any bytes: a listing or a SluiceError', () => {
    const entryish = fc.record(
      {
        md5: fc.oneof(hex32, scalar),
        relpath: fc.oneof(relpath, scalar, fc.constantFrom('../x', '/x', 'a//b', 'a\\..\\b')),
      },
      { requiredKeys: [] },
    );
    const input = fc.oneof(
      anyText,
      fc.array(entryish, { maxLength: 4 }).map((e) => JSON.stringify(e)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.nat({ max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
    );
    fc.assert(
      fc.property(input, (text) => {
        const data = Buffer.from(text);
        return readsCleanly('.dir', text, () => parseDirObject(data, `${md5(data)}.dir`));
      }),
      params,
    );
  });

  it('serialize and parse agree with what real DVC writes and reads', () => {
    // what a folder walk can produce: no `.git`, and no file that is also a folder
    const entries = fc
      .uniqueArray(fc.record({ md5: hex32, relpath }), { selector: (e) => e.relpath, maxLength: 8 })
      .filter((list) => {
        const paths = new Set(list.map((e) => e.relpath));
        return list.every(
          (e) =>
            !e.relpath.split('/').includes('.git') &&
            e.relpath
              .split('/')
              .slice(0, -1)
              .every((_, i, parts) => !paths.has(parts.slice(0, i + 1).join('/'))),
        );
      });
    // Real DVC (dvc_data) is the oracle: one python process writes every sampled listing and
    // reads its own bytes back; Sluice must write the same bytes and read the same entries.
    const samples = fc.sample(entries, params);
    const written = dvcDataDir(samples.map((list) => ({ op: 'write', entries: list })));
    const read = dvcDataDir(
      written.map((w) => ({ op: 'read', bytes: w.bytes ?? Buffer.alloc(0) })),
    );
    samples.forEach((list, i) => {
      inputsTried['.dir round trip'] = (inputsTried['.dir round trip'] ?? 0) + 1;
      const theirs = written[i]?.bytes?.toString('utf8');
      const text = serializeDirObject(list);
      expect(text, JSON.stringify(list)).toBe(theirs);
      const back = parseDirObject(Buffer.from(text), `${md5(text)}.dir`);
      const sorted = [...list].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
      expect(back).toEqual(sorted);
      expect(back).toEqual(read[i]?.entries);
    });
  });

  it('.dvcignore: any rules, any path', () => {
    const root = tempDir('sluice-fuzz-ignore-');
    const rules = fc.oneof(
      anyText,
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              '*',
              '**',
              '!',
              '!x',
              '/a',
              'a/',
              '\\#',
              '#c',
              '[a-',
              '[!]',
              '?',
              'a/**/b',
              '\\',
              ' ',
              '\r',
            ),
            fc.string({ maxLength: 6 }),
          ),
          { maxLength: 10 },
        )
        .map((l) => l.join('\n')),
    );
    fc.assert(
      fc.property(rules, relpath, fc.boolean(), (text, path, isDir) =>
        readsCleanly('.dvcignore', text, (t) => {
          writeFileSync(join(root, '.dvcignore'), t);
          const ignore = new DvcIgnore(root);
          return ignore.isPathIgnored(path, isDir);
        }),
      ),
      params,
    );
  });
});

describe('malformed files through the real binary', () => {
  const targets: Record<string, (text: string) => Record<string, string>> = {
    '.dvc': (t) => ({ 'x.dvc': t }),
    'dvc.yaml': (t) => ({ 'dvc.yaml': t }),
    'dvc.lock': (t) => ({ 'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n', 'dvc.lock': t }),
    'params.yaml': (t) => ({
      'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    params: [a]\n',
      'params.yaml': t,
    }),
    configobj: (t) => ({ '.dvc/config': t }),
  };
  let cliSamples = 0;

  it('exit non-zero with one ERROR line and no stack trace (without -v)', () => {
    for (const [reader, files] of Object.entries(targets)) {
      // The first inputs the in-process reader refused (seeded, so the same ones every run).
      // A metafile is read lazily (a lock entry of no stage is never validated), so only inputs
      // that are not even YAML are sure to stop every command.
      const samples = (refused[reader] ?? [])
        .filter((t) => !t.includes('\0'))
        .filter((t) => reader === 'configobj' || parseDocument(t).errors.length > 0)
        .slice(0, 4);
      expect(samples.length, reader).toBeGreaterThan(0);
      for (const text of samples) {
        const repoDir2 = makeRepo('sluice');
        writeTree(repoDir2, files(text));
        const r = sluice(repoDir2, 'status');
        const all = r.stdout + r.stderr;
        expect(r.code, `${reader}: ${JSON.stringify(text)}\n${all}`).not.toBe(0);
        expect(errorLines(r), `${reader}: ${JSON.stringify(text)}\n${all}`).toHaveLength(1);
        expect(all).not.toMatch(/^\s+at /m);
        cliSamples += 1;
      }
    }

    const rows = Object.entries(inputsTried)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([reader, n]) =>
          `| ${reader} | ${n} | ${refused[reader]?.length === 50 ? '≥50' : (refused[reader]?.length ?? 0)} |`,
      );
    recordReliability({
      id: '50-fuzz',
      title: 'Fuzzed readers',
      body: [
        'fast-check properties over every reader of user-controlled text',
        '(`test/reliability/fuzzReaders.test.ts`): each input must give a value or a',
        '`SluiceError`, never another exception or a hang; the configobj writer must round-trip',
        'what it accepts, and the `.dir` writer and reader must write and read what real DVC',
        '(`dvc_data`) writes and reads for the same listing. Inputs are random text and bytes, token soup',
        'of YAML/INI syntax, and plausible documents with one random edit.',
        '',
        `Seed ${SEED} (\`SLUICE_FUZZ_SEED\`), ${RUNS} runs per property (\`SLUICE_FUZZ_RUNS\`).`,
        '',
        '| reader | inputs tried | refused (first 50 kept) |',
        '|---|---|---|',
        ...rows,
        '',
        `Then ${cliSamples} of the refused inputs went through the real \`bin/sluice status\`:`,
        'every one exited non-zero with one `ERROR` line and no stack trace.',
      ].join('\n'),
    });
  }, 120_000);
});
