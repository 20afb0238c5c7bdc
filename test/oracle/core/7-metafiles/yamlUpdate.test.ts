import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dumpYaml } from '../../../../src/core/7-metafiles/yaml/dump.js';
import { updateYamlText } from '../../../../src/core/7-metafiles/yaml/update.js';
import { ruamel } from './ruamelOracle.js';

describe('updateYamlText', () => {
  it('keeps comments, order and untouched lines; appends new keys (doc 4.1 commit test)', () => {
    const old = [
      '# top comment',
      'outs:',
      '- path: data  # the data',
      '  desc: some desc',
      '  type: mytype',
      '  labels:',
      '  - label1',
      '  meta:',
      '    key: value',
      '  remote: myremote',
      '  hash: md5',
      '',
    ].join('\n');
    const next = {
      outs: [
        {
          path: 'data',
          desc: 'some desc',
          type: 'mytype',
          labels: ['label1'],
          meta: { key: 'value' },
          remote: 'myremote',
          hash: 'md5',
          md5: 'acbd18db4cc2f85cedef654fccc4a4d8',
          size: 3,
        },
      ],
    };
    const text = updateYamlText(old, next);
    expect(text).toBe(`${old}  md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n`);
    expect(text).toBe(ruamel([{ op: 'update', old, data: next }])[0]);
  });

  it('matches DVC on random edits of DVC-written documents', () => {
    const entry = fc.record(
      {
        md5: fc.stringMatching(/^[0-9a-f]{32}$/),
        size: fc.nat(),
        nfiles: fc.nat(),
        hash: fc.constant('md5'),
        path: fc.constantFrom('foo', 'data dir', 'a/b.csv', 'x: y', "it's", '123'),
        desc: fc.constantFrom('short', 'a long description '.repeat(6)),
      },
      { requiredKeys: ['path'] },
    );
    const docArb = fc.record(
      {
        md5: fc.stringMatching(/^[0-9a-f]{32}$/),
        frozen: fc.boolean(),
        deps: fc.array(entry, { maxLength: 3 }),
        outs: fc.array(entry, { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: ['outs'] },
    );
    const pairs = fc.sample(fc.tuple(docArb, docArb), { numRuns: 200, seed: 3 });
    const cases = pairs.map(([a, b]) => ({ op: 'update' as const, old: dumpYaml(a), data: b }));
    const expected = ruamel(cases);
    cases.forEach((c, i) => {
      expect(updateYamlText(c.old, c.data), `${c.old}\n---\n${JSON.stringify(c.data)}`).toBe(
        expected[i],
      );
    });
  });
});
