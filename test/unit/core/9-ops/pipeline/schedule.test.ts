import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideStarts, StageSchedule } from '../../../../../src/core/9-ops/pipeline/schedule.js';

/** A DAG on stages 0..n-1 where an edge always goes from a lower to a higher number. */
interface Dag {
  n: number;
  ups: Map<number, number[]>;
}

const dagArb = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.array(fc.boolean(), { minLength: n * n, maxLength: n * n }).map((bits): Dag => {
    const ups = new Map<number, number[]>();
    for (let down = 0; down < n; down += 1) {
      const list: number[] = [];
      for (let up = 0; up < down; up += 1) if (bits[up * n + down] === true) list.push(up);
      ups.set(down, list);
    }
    return { n, ups };
  }),
);

interface Run {
  started: number[];
  skipped: readonly number[];
  notStarted: readonly number[];
}

/**
 * Drives a schedule to its end the way repro does: start what `next()` gives, let one running
 * stage (picked by `picks`) end, ok unless it is in `failing`, and check the invariants at
 * each step.
 */
function simulate(
  dag: Dag,
  plan: number[],
  jobs: number,
  keepGoing: boolean,
  failing: Set<number>,
  picks: number[],
): Run {
  const inPlan = new Set(plan);
  const schedule = new StageSchedule(plan, (s) => dag.ups.get(s) ?? [], { jobs, keepGoing });
  const running: number[] = [];
  const ended = new Map<number, boolean>();
  const started: number[] = [];
  let failed = false;
  for (let step = 0; ; step += 1) {
    const now = schedule.next();
    for (const stage of now) {
      expect(started, `stage ${stage} started twice`).not.toContain(stage);
      expect(inPlan.has(stage)).toBe(true);
      for (const up of dag.ups.get(stage) ?? []) {
        if (inPlan.has(up)) expect(ended.get(up), `${stage} started before ${up} ended`).toBe(true);
      }
      if (!keepGoing) expect(failed, 'a stage started after a failure').toBe(false);
    }
    started.push(...now);
    running.push(...now);
    expect(running.length).toBeLessThanOrEqual(jobs);
    // Nothing that could start was left waiting while a job slot was free.
    if (running.length < jobs && !(failed && !keepGoing)) {
      for (const stage of schedule.notStarted) {
        const ready = (dag.ups.get(stage) ?? []).every((u) => !inPlan.has(u) || ended.get(u));
        expect(ready, `stage ${stage} was ready but not started`).toBe(false);
      }
    }
    if (running.length === 0) break;
    const [stage] = running.splice(
      (picks[step % Math.max(1, picks.length)] ?? 0) % running.length,
      1,
    );
    const ok = !failing.has(stage);
    if (!ok) failed = true;
    ended.set(stage, ok);
    schedule.finish(stage, ok);
  }
  return { started, skipped: schedule.skipped, notStarted: schedule.notStarted };
}

const runArb = dagArb.chain((dag) =>
  fc.record({
    dag: fc.constant(dag),
    inPlan: fc.array(fc.boolean(), { minLength: dag.n, maxLength: dag.n }),
    jobs: fc.integer({ min: 1, max: 4 }),
    keepGoing: fc.boolean(),
    failing: fc.array(fc.boolean(), { minLength: dag.n, maxLength: dag.n }),
    picks: fc.array(fc.nat({ max: 8 }), { maxLength: 20 }),
  }),
);

describe('StageSchedule', () => {
  it('never starts a stage before its upstream stages ended, never above -j, never leaves a ready stage waiting', () => {
    fc.assert(
      fc.property(runArb, ({ dag, inPlan, jobs, keepGoing, failing, picks }) => {
        const plan = [...Array(dag.n).keys()].filter((s) => inPlan[s]);
        const fails = new Set(plan.filter((s) => failing[s]));
        const run = simulate(dag, plan, jobs, keepGoing, fails, picks);
        const planned = new Set(plan);
        // A failed stage upstream of s through the plan (the schedule never sees other edges).
        const blockedBy = (s: number): boolean =>
          plan.some((a) => a !== s && fails.has(a) && reachable(dag, planned, a, s));
        if (fails.size === 0 || keepGoing) {
          // Every stage runs unless a failed stage is upstream of it through the plan.
          const expected = plan.filter((s) => !blockedBy(s));
          expect([...run.started].sort((a, b) => a - b)).toEqual(expected);
          expect([...run.skipped].sort((a, b) => a - b)).toEqual(plan.filter((s) => blockedBy(s)));
          expect(run.notStarted).toEqual([]);
        } else {
          // Without keep-going the first failure stops the run; every stage is accounted for.
          const all = [...run.started, ...run.skipped, ...run.notStarted].sort((a, b) => a - b);
          expect(all).toEqual(plan);
          expect(run.started.some((s) => fails.has(s))).toBe(true);
        }
      }),
      { seed: 20261207, numRuns: 400 },
    );
  });

  it('starts independent stages together under -j N, in plan order', () => {
    const schedule = new StageSchedule(['a', 'b', 'c', 'd'], () => [], {
      jobs: 3,
      keepGoing: false,
    });
    expect(schedule.next()).toEqual(['a', 'b', 'c']);
    expect(schedule.next()).toEqual([]);
    schedule.finish('b', true);
    expect(schedule.next()).toEqual(['d']);
    expect(schedule.notStarted).toEqual([]);
  });

  it('runs one stage at a time with -j 1 (or less)', () => {
    for (const jobs of [1, 0, -2]) {
      const schedule = new StageSchedule(['a', 'b'], () => [], { jobs, keepGoing: false });
      expect(schedule.next()).toEqual(['a']);
      schedule.finish('a', true);
      expect(schedule.next()).toEqual(['b']);
    }
  });

  it('with keep-going, a failure skips its dependants (transitively) but not independent stages', () => {
    const ups: Record<string, string[]> = { b: ['a'], c: ['b'], d: [], e: ['d'] };
    const schedule = new StageSchedule(['a', 'b', 'c', 'd', 'e'], (s) => ups[s] ?? [], {
      jobs: 1,
      keepGoing: true,
    });
    expect(schedule.next()).toEqual(['a']);
    schedule.finish('a', false);
    expect(schedule.next()).toEqual(['d']);
    expect(schedule.skipped).toEqual(['b', 'c']);
    schedule.finish('d', true);
    expect(schedule.next()).toEqual(['e']);
    schedule.finish('e', true);
    expect(schedule.next()).toEqual([]);
    expect(schedule.notStarted).toEqual([]);
  });

  it('without keep-going, a failure starts nothing new; running stages still finish', () => {
    const schedule = new StageSchedule(['a', 'b', 'c'], () => [], { jobs: 2, keepGoing: false });
    expect(schedule.next()).toEqual(['a', 'b']);
    schedule.finish('a', false);
    expect(schedule.next()).toEqual([]);
    schedule.finish('b', true);
    expect(schedule.next()).toEqual([]);
    expect(schedule.notStarted).toEqual(['c']);
    expect(schedule.skipped).toEqual([]);
  });

  it('does not wait for an upstream stage outside the plan', () => {
    const schedule = new StageSchedule(['b'], () => ['a'], { jobs: 1, keepGoing: false });
    expect(schedule.next()).toEqual(['b']);
  });
});

describe('decideStarts', () => {
  it('fills only the free job slots, in plan order', () => {
    const state = { done: new Set<string>(), failed: new Set<string>(), running: 1, jobs: 3 };
    expect(decideStarts(['a', 'b', 'c'], () => [], state)).toEqual({ start: ['a', 'b'], skip: [] });
    expect(decideStarts(['a'], () => [], { ...state, running: 3 })).toEqual({
      start: [],
      skip: [],
    });
  });

  it('waits for every upstream stage to be done', () => {
    const ups: Record<string, string[]> = { c: ['a', 'b'] };
    const state = { done: new Set(['a']), failed: new Set<string>(), running: 0, jobs: 4 };
    expect(decideStarts(['c'], (s) => ups[s] ?? [], state).start).toEqual([]);
    expect(
      decideStarts(['c'], (s) => ups[s] ?? [], { ...state, done: new Set(['a', 'b']) }).start,
    ).toEqual(['c']);
  });

  it('skips the whole chain below a failed stage in one pass, even with no free slot', () => {
    const ups: Record<string, string[]> = { b: ['a'], c: ['b'], d: [] };
    const state = { done: new Set<string>(), failed: new Set(['a']), running: 2, jobs: 2 };
    expect(decideStarts(['b', 'c', 'd'], (s) => ups[s] ?? [], state)).toEqual({
      start: [],
      skip: ['b', 'c'],
    });
  });
});

/** Whether `to` is reachable from `from` through stages of the plan only. */
function reachable(dag: Dag, planned: Set<number>, from: number, to: number): boolean {
  if (from === to) return true;
  for (const up of dag.ups.get(to) ?? []) {
    if (planned.has(up) && reachable(dag, planned, from, up)) return true;
  }
  return false;
}
