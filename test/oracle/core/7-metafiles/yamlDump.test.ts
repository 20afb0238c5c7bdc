import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dumpYaml } from '../../../../src/core/7-metafiles/yaml/dump.js';
import { parseYamlFile } from '../../../../src/core/7-metafiles/yaml/parse.js';
import { PyFloat } from '../../../../src/core/1-base/python.js';
import { ruamel } from './ruamelOracle.js';

const pieces = [
  'a',
  'b',
  'x',
  ' ',
  '  ',
  ':',
  ': ',
  '#',
  ' #',
  '-',
  '- ',
  '?',
  "'",
  '"',
  '\n',
  '\t',
  '[',
  ']',
  '{',
  '}',
  ',',
  '*',
  '&',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  'é',
  '😀',
  '\x01',
  '\\',
  'abcdefghij',
  'echo',
  '0',
  '1',
  '.',
  'e',
  '5',
  'true',
  'null',
  '~',
  '---',
  '...',
  '_',
  '=',
  '<<',
  '2001-01-01',
  'yes',
  '\u2028',
  '\xa0',
  '\ufeff',
];
const str = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((a) => a.join(''));
const longWords = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.constantFrom(' ', '  ', ' \n', "'", '"')), {
    maxLength: 25,
  })
  .map((parts) => parts.map(([n, sep]) => 'w'.repeat(n) + sep).join(''));
const scalar = fc.oneof(
  str,
  longWords,
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true }).map((d) => new PyFloat(d)),
  fc.constantFrom('1', '1.0', '0o17', '0x1F', '1_000', '1e5', '.inf', 'True', 'FALSE', 'Null', ''),
);
const key = fc.oneof(
  fc.constantFrom('md5', 'path', 'cmd', 'a b', '1', 'true', 'x:y', "it's"),
  str.filter((s) => s.length < 60 && !/[\n\u2028\x85\u2029]/.test(s)),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('arr'), tie('obj')),
  arr: fc.array(tie('tree'), { maxLength: 4 }),
  obj: fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
}));

describe('dumpYaml matches ruamel (DVC dumper) byte for byte', () => {
  it('random documents', () => {
    const samples = fc.sample(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 5 }), {
      numRuns: 600,
      seed: 42,
    });
    const expected = ruamel(samples.map((d) => ({ op: 'dump', data: d })));
    samples.forEach((d, i) => {
      expect(dumpYaml(d), JSON.stringify(d)).toBe(expected[i]);
    });
  });

  it('random documents round-trip through parseYamlFile', () => {
    const samples = fc.sample(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 5 }), {
      numRuns: 300,
      seed: 7,
    });
    // ruamel writes U+2028 raw inside quotes (YAML readers disagree about it) and its plain-scalar
    // folding can drop one of two spaces at a fold; both are ruamel quirks, not ours.
    const clean = samples.filter((x) => !/\u2028| {2}/.test(JSON.stringify(x)));
    for (const d of clean) {
      const text = dumpYaml(d);
      const { data } = parseYamlFile(text, 'x.yaml');
      expect(dumpYaml(data)).toBe(text);
    }
  });
});
