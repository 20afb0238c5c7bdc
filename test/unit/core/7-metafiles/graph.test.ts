import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../src/core/1-base/errors.js';
import { PipelineGraph } from '../../../../src/core/7-metafiles/graph.js';
import { Dependency, Output, Stage } from '../../../../src/core/7-metafiles/stage.js';

interface StageSpec {
  deps?: string[];
  params?: string[];
  outs?: string[];
  frozen?: boolean;
  file?: string;
}

function makeStage(name: string, spec: StageSpec): Stage {
  const stage = new Stage('pipeline', spec.file ?? 'dvc.yaml', '', {
    name,
    cmd: `echo ${name}`,
    frozen: spec.frozen ?? false,
    alwaysChanged: false,
  });
  stage.deps = (spec.deps ?? []).map((p) => new Dependency(stage, p, p, {}));
  for (const file of spec.params ?? []) {
    stage.deps.push(
      new Dependency(stage, file, file, {}, { file, keys: null, recorded: undefined }),
    );
  }
  stage.outs = (spec.outs ?? []).map(
    (p) => new Output(stage, p, p, {}, { cache: true, persist: false, kind: 'out', push: true }),
  );
  return stage;
}

function build(specs: Record<string, StageSpec>): { graph: PipelineGraph; s: Map<string, Stage> } {
  const s = new Map(Object.entries(specs).map(([name, spec]) => [name, makeStage(name, spec)]));
  return { graph: new PipelineGraph([...s.values()]), s };
}

const names = (stages: Iterable<Stage>): string[] => [...stages].map((x) => x.name ?? '?');
const ups = (graph: PipelineGraph, stage: Stage | undefined): string[] =>
  names(graph.upstream.get(stage as Stage) ?? []).sort();
const downs = (graph: PipelineGraph, stage: Stage | undefined): string[] =>
  names(graph.downstream.get(stage as Stage) ?? []).sort();

function errorOf(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error('expected a SluiceError');
}

describe('PipelineGraph edges', () => {
  it('a dependency equal to, inside, or holding an output makes its producer upstream', () => {
    const { graph, s } = build({
      makeFile: { outs: ['model.bin'] },
      makeDir: { outs: ['data/clean'] },
      makeDeep: { outs: ['feat/a/x.csv', 'feat/b.csv'] },
      sibling: { outs: ['data/clean2', 'data-x', 'feat2/c.csv'] },
      useFile: { deps: ['model.bin'] },
      useInside: { deps: ['data/clean/part-1.csv'] },
      useParent: { deps: ['feat'] },
      useTop: { deps: ['data'] },
      useNothing: { deps: ['unrelated.txt', 'mod'], outs: ['out.txt'] },
    });
    expect(ups(graph, s.get('useFile'))).toEqual(['makeFile']);
    expect(ups(graph, s.get('useInside'))).toEqual(['makeDir']);
    // `feat2/c.csv` and `data-x` share a prefix with the dependency but are not inside it.
    expect(ups(graph, s.get('useParent'))).toEqual(['makeDeep']);
    expect(ups(graph, s.get('useTop'))).toEqual(['makeDir', 'sibling']);
    expect(ups(graph, s.get('useNothing'))).toEqual([]);
    expect(downs(graph, s.get('makeDir'))).toEqual(['useInside', 'useTop']);
    expect(downs(graph, s.get('makeDeep'))).toEqual(['useParent']);
    expect(downs(graph, s.get('useNothing'))).toEqual([]);
    expect(
      graph
        .edges()
        .map(([u, d]) => `${u.name}->${d.name}`)
        .sort(),
    ).toEqual([
      'makeDeep->useParent',
      'makeDir->useInside',
      'makeDir->useTop',
      'makeFile->useFile',
      'sibling->useTop',
    ]);
  });

  it('a folder dependency finds every output under it, first to last in sorted order', () => {
    const { graph, s } = build({
      a: { outs: ['d/0'] },
      b: { outs: ['d/m/1'] },
      c: { outs: ['d/z'] },
      before: { outs: ['c/z', 'd.txt', 'd-'] },
      after: { outs: ['e', 'd0'] },
      use: { deps: ['d'] },
    });
    expect(ups(graph, s.get('use'))).toEqual(['a', 'b', 'c']);
  });

  it('params dependencies and dependencies outside the repo make no edge', () => {
    const { graph, s } = build({
      writesParams: { outs: ['params.yaml'] },
      readsParams: { params: ['params.yaml'] },
    });
    const external = makeStage('external', {});
    external.deps = [new Dependency(external, 's3://b/k', undefined, {})];
    const withExternal = new PipelineGraph([...s.values(), external]);
    expect(ups(graph, s.get('readsParams'))).toEqual([]);
    expect(ups(withExternal, external)).toEqual([]);
  });

  it('a stage that depends on its own output is refused, naming the path', () => {
    const error = errorOf(() => build({ loop: { deps: ['x/y'], outs: ['x'] } }));
    expect(error.code).toBe('CYCLE');
    expect(error.message).toBe("stage 'loop': 'x/y' is both a dependency and an output");
    expect(error.hint).toContain('cannot depend on its own output');
  });

  it('a cycle is refused and named in order', () => {
    const error = errorOf(() =>
      build({
        start: { deps: ['c'], outs: ['a'] },
        mid: { deps: ['a'], outs: ['b'] },
        end: { deps: ['b'], outs: ['c'] },
        free: { outs: ['z'] },
      }),
    );
    expect(error.code).toBe('CYCLE');
    expect(error.message).toBe("pipeline has a cycle: 'start' -> 'end' -> 'mid' -> 'start'");
    expect(error.hint).toContain('break the cycle');
  });

  it('the cycle named leaves out the stages that only lead into it', () => {
    const error = errorOf(() =>
      build({
        entry: { deps: ['b'], outs: ['e'] },
        first: { deps: ['b'], outs: ['a'] },
        second: { deps: ['a'], outs: ['b'] },
      }),
    );
    expect(error.message).toBe("pipeline has a cycle: 'second' -> 'first' -> 'second'");
  });

  it('a stage reached many ways is visited once (a 40-layer lattice builds at once)', () => {
    const specs: Record<string, StageSpec> = {};
    for (let layer = 0; layer < 40; layer += 1) {
      for (const side of ['l', 'r']) {
        specs[`${side}${layer}`] = {
          deps: layer === 0 ? [] : [`l${layer - 1}.out`, `r${layer - 1}.out`],
          outs: [`${side}${layer}.out`],
        };
      }
    }
    const started = performance.now();
    const { graph, s } = build(specs);
    expect(graph.plan([s.get('l39') as Stage])).toHaveLength(79);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('a diamond is not a cycle', () => {
    expect(() =>
      build({
        top: { outs: ['t'] },
        left: { deps: ['t'], outs: ['l'] },
        right: { deps: ['t'], outs: ['r'] },
        bottom: { deps: ['l', 'r'], outs: ['b'] },
      }),
    ).not.toThrow();
  });
});

describe('PipelineGraph.plan and component', () => {
  const chain = (): ReturnType<typeof build> =>
    build({
      a: { outs: ['a.txt'] },
      b: { deps: ['a.txt'], outs: ['b.txt'] },
      c: { deps: ['b.txt'], outs: ['c.txt'] },
      d: { deps: ['a.txt'], outs: ['d.txt'] },
      lone: { outs: ['lone.txt'] },
    });

  it('upstream first, each stage once', () => {
    const { graph, s } = chain();
    const pick = (...n: string[]): Stage[] => n.map((x) => s.get(x) as Stage);
    expect(names(graph.plan(pick('c')))).toEqual(['a', 'b', 'c']);
    expect(names(graph.plan(pick('c', 'd', 'b')))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(graph.plan(pick('c'), { single: true }))).toEqual(['c']);
    expect(names(graph.plan(pick('c', 'lone'), { single: true }))).toEqual(['c', 'lone']);
  });

  it('downstream: the targets first, then what depends on them', () => {
    const { graph, s } = chain();
    const order = names(graph.plan([s.get('a') as Stage], { downstream: true }));
    expect(order[0]).toBe('a');
    expect(order.sort()).toEqual(['a', 'b', 'c', 'd']);
    const fromB = names(graph.plan([s.get('b') as Stage], { downstream: true }));
    expect(fromB).toEqual(['b', 'c']);
  });

  it('a frozen stage cuts off its upstream, but not downstream', () => {
    const { graph, s } = build({
      a: { outs: ['a.txt'] },
      b: { deps: ['a.txt'], outs: ['b.txt'], frozen: true },
      c: { deps: ['b.txt'], outs: ['c.txt'] },
    });
    expect(names(graph.plan([s.get('c') as Stage]))).toEqual(['b', 'c']);
    expect(names(graph.plan([s.get('a') as Stage], { downstream: true }))).toEqual(['a', 'b', 'c']);
  });

  it('component: the stages connected either way, in pipeline order', () => {
    const { graph, s } = chain();
    expect(names(graph.component([s.get('d') as Stage]))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(graph.component([s.get('lone') as Stage]))).toEqual(['lone']);
    expect(names(graph.component([s.get('lone') as Stage, s.get('c') as Stage]))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'lone',
    ]);
  });

  it('property: on random DAGs, plan is a topological order of exactly the ancestors', () => {
    const dag = fc.integer({ min: 1, max: 9 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        edges: fc.array(fc.boolean(), { minLength: n * n, maxLength: n * n }),
        target: fc.nat({ max: n - 1 }),
        frozen: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      }),
    );
    fc.assert(
      fc.property(dag, ({ n, edges, target, frozen }) => {
        const specs: Record<string, StageSpec> = {};
        const upOf = new Map<number, number[]>();
        for (let to = 0; to < n; to += 1) {
          const from = [...Array(to).keys()].filter((f) => edges[f * n + to] === true);
          upOf.set(to, from);
          // Nested outputs (`o3/x` under `o3`) exercise the folder-prefix lookup too.
          specs[`s${to}`] = {
            deps: from.map((f) => (f % 2 === 0 ? `o${f}` : `o${f}/x`)),
            outs: [to % 2 === 0 ? `o${to}` : `o${to}/x`],
            frozen: frozen[to],
          };
        }
        const { graph, s } = build(specs);
        for (let to = 0; to < n; to += 1) {
          expect(ups(graph, s.get(`s${to}`))).toEqual(
            (upOf.get(to) ?? []).map((f) => `s${f}`).sort(),
          );
        }
        const expected = new Set<string>();
        const walk = (i: number): void => {
          if (expected.has(`s${i}`)) return;
          expected.add(`s${i}`);
          if (frozen[i] !== true) for (const f of upOf.get(i) ?? []) walk(f);
        };
        walk(target);
        const order = names(graph.plan([s.get(`s${target}`) as Stage]));
        expect([...order].sort()).toEqual([...expected].sort());
        for (const name of order) {
          const i = Number(name.slice(1));
          if (frozen[i] === true) continue;
          for (const f of upOf.get(i) ?? []) {
            expect(order.indexOf(`s${f}`)).toBeLessThan(order.indexOf(name));
          }
        }
        const down = names(graph.plan([s.get(`s${target}`) as Stage], { downstream: true }));
        expect(down[0]).toBe(`s${target}`);
        for (const name of down) {
          for (const f of upOf.get(Number(name.slice(1))) ?? []) {
            if (down.includes(`s${f}`))
              expect(down.indexOf(`s${f}`)).toBeLessThan(down.indexOf(name));
          }
        }
      }),
      { seed: 20260122, numRuns: 200 },
    );
  });
});
