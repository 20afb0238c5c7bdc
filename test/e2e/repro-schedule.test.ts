import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupSandboxes, makeRepo, sluice, sluiceOk } from '../helpers/sandbox.js';

afterEach(cleanupSandboxes);

/**
 * Each stage's command: log its start, wait, write its output, log its end. The log is appended
 * with O_APPEND (flag 'a'), one write per line, so concurrent stages never interleave inside a
 * line and the line order is the order the writes happened. hrtime is CLOCK_MONOTONIC, shared by
 * every process on the machine.
 */
const STAGE_SCRIPT = `import { appendFileSync, writeFileSync } from 'node:fs';
const [name, ms] = process.argv.slice(2);
const log = (what) => appendFileSync('schedule.log', what + ' ' + name + ' ' + process.hrtime.bigint() + '\\n', { flag: 'a' });
log('start');
await new Promise((resolve) => setTimeout(resolve, Number(ms)));
writeFileSync('out_' + name + '.txt', name + '\\n');
log('end');
`;

interface Dag {
  /** Stage names, in the order they are written into dvc.yaml. */
  order: string[];
  /** For each stage, the stages whose outputs it depends on. */
  ups: Map<string, string[]>;
}

interface LogLine {
  what: 'start' | 'end';
  name: string;
  time: bigint;
  index: number;
}

function writePipeline(dir: string, dag: Dag, sleepMs: number): void {
  writeFileSync(join(dir, 'stage.mjs'), STAGE_SCRIPT);
  const lines = ['stages:'];
  for (const name of dag.order) {
    lines.push(`  ${name}:`, `    cmd: node stage.mjs ${name} ${sleepMs}`, '    deps:');
    lines.push('    - stage.mjs');
    for (const up of dag.ups.get(name) ?? []) lines.push(`    - out_${up}.txt`);
    lines.push('    outs:', `    - out_${name}.txt`);
  }
  writeFileSync(join(dir, 'dvc.yaml'), `${lines.join('\n')}\n`);
}

function readLog(dir: string): LogLine[] {
  return readFileSync(join(dir, 'schedule.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line, index) => {
      const [what, name, time] = line.split(' ');
      if ((what !== 'start' && what !== 'end') || name === undefined || time === undefined) {
        throw new Error(`bad log line: ${line}`);
      }
      return { what, name, time: BigInt(time), index };
    });
}

/** Every stage ran once, and none started before every stage upstream of it had ended. */
function checkSchedule(dag: Dag, log: LogLine[]): void {
  const find = (what: 'start' | 'end', name: string): LogLine => {
    const hits = log.filter((l) => l.what === what && l.name === name);
    expect(hits.map((h) => `${h.what} ${h.name}`)).toEqual([`${what} ${name}`]);
    return hits[0];
  };
  for (const name of dag.order) {
    const start = find('start', name);
    expect(start.index).toBeLessThan(find('end', name).index);
    for (const up of dag.ups.get(name) ?? []) {
      const upEnd = find('end', up);
      expect(
        {
          stage: name,
          startedAfterUpstreamEnded: upEnd.index < start.index && upEnd.time < start.time,
        },
        `stage ${name} started before upstream ${up} ended`,
      ).toEqual({ stage: name, startedAfterUpstreamEnded: true });
    }
  }
}

/** A random acyclic graph: edges only go from a lower to a higher stage number. */
const dagArbitrary = fc
  .integer({ min: 3, max: 8 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.boolean(), {
        minLength: (n * (n - 1)) / 2,
        maxLength: (n * (n - 1)) / 2,
      }),
      order: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    }),
  )
  .map(({ n, edges, order }): Dag => {
    const ups = new Map<string, string[]>();
    let k = 0;
    for (let to = 0; to < n; to += 1) {
      const list: string[] = [];
      for (let from = 0; from < to; from += 1) {
        if (edges[k] === true) list.push(`s${from}`);
        k += 1;
      }
      ups.set(`s${to}`, list);
    }
    return { order: order.map((i) => `s${i}`), ups };
  });

describe('repro -j 2 schedules stages after their upstream stages', () => {
  it('property: over random DAGs, no stage starts before its upstream stages end', () => {
    const seed = Number(process.env.SLUICE_FC_SEED ?? 220022);
    fc.assert(
      fc.property(dagArbitrary, (dag) => {
        const dir = makeRepo('sluice');
        writePipeline(dir, dag, 40);
        sluiceOk(dir, 'repro', '-j', '2');
        checkSchedule(dag, readLog(dir));
        cleanupSandboxes();
      }),
      { seed, numRuns: 15 },
    );
  }, 120_000);

  it('a diamond: the two middle stages overlap, the last waits for both', () => {
    const dir = makeRepo('sluice');
    const dag: Dag = {
      order: ['last', 'right', 'left', 'first'],
      ups: new Map([
        ['first', []],
        ['left', ['first']],
        ['right', ['first']],
        ['last', ['left', 'right']],
      ]),
    };
    writePipeline(dir, dag, 500);
    sluiceOk(dir, 'repro', '-j', '2');
    const log = readLog(dir);
    checkSchedule(dag, log);
    const at = (what: string, name: string): bigint =>
      log.find((l) => l.what === what && l.name === name)?.time ?? -1n;
    // Under -j 2 the two independent stages run at the same time: each started before the other ended.
    expect(at('start', 'left') < at('end', 'right')).toBe(true);
    expect(at('start', 'right') < at('end', 'left')).toBe(true);
  }, 60_000);

  it('a failure with -k skips its dependants only; without -k nothing new starts', () => {
    const dir = makeRepo('sluice');
    const lines = [
      'stages:',
      '  broken:',
      '    cmd: exit 3',
      '    outs:',
      '    - b.txt',
      '  after:',
      '    cmd: cp b.txt a.txt',
      '    deps:',
      '    - b.txt',
      '    outs:',
      '    - a.txt',
      '  other:',
      '    cmd: echo other > o.txt',
      '    outs:',
      '    - o.txt',
    ];
    writeFileSync(join(dir, 'dvc.yaml'), `${lines.join('\n')}\n`);
    const stopped = sluice(dir, 'repro', '-j', '1');
    expect(stopped.code).not.toBe(0);
    expect(existsSync(join(dir, 'o.txt'))).toBe(false);
    const kept = sluice(dir, 'repro', '-k', '-j', '1');
    expect(kept.code).not.toBe(0);
    expect(readFileSync(join(dir, 'o.txt'), 'utf8')).toBe('other\n');
    expect(existsSync(join(dir, 'a.txt'))).toBe(false);
  }, 60_000);
});
