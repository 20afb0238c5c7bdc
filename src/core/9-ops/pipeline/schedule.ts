/**
 * The order `repro -j N` starts stages in, kept apart from running them so it can be tested
 * without processes. A stage starts once every upstream stage in the plan has succeeded, at most
 * `jobs` at once, in plan order. A stage upstream of it but outside the plan (cut off by a frozen
 * stage, `--single-item`) is not waited for.
 *
 * A failure, as in DVC: without `keepGoing` nothing new starts (stages already running finish);
 * with it, the stages downstream of the failed one are skipped and every other stage still runs.
 */
export interface ScheduleOptions {
  jobs: number;
  keepGoing: boolean;
}

/** What may happen now, given the stages not started yet and the state of the others. */
export interface ScheduleDecision<T> {
  /** Stages to start now, in plan order. */
  start: T[];
  /** Stages that will never run: a stage upstream of them failed or was itself skipped. */
  skip: T[];
}

/**
 * The pure decision: which of `pending` (in plan order) may start now and which can never run.
 * `upstream` gives a stage's upstream stages within the plan.
 */
export function decideStarts<T>(
  pending: readonly T[],
  upstream: (stage: T) => Iterable<T>,
  state: { done: ReadonlySet<T>; failed: ReadonlySet<T>; running: number; jobs: number },
): ScheduleDecision<T> {
  const start: T[] = [];
  const skip: T[] = [];
  const dead = new Set(state.failed);
  let free = state.jobs - state.running;
  for (const stage of pending) {
    const ups = [...upstream(stage)];
    if (ups.some((u) => dead.has(u))) {
      dead.add(stage);
      skip.push(stage);
    } else if (free > 0 && ups.every((u) => state.done.has(u))) {
      start.push(stage);
      free -= 1;
    }
  }
  return { start, skip };
}

/** The bookkeeping around `decideStarts` for one `repro` run. */
export class StageSchedule<T> {
  private pending: T[];
  private readonly inPlan: ReadonlySet<T>;
  private readonly done = new Set<T>();
  private readonly failed = new Set<T>();
  private readonly running = new Set<T>();
  private readonly skippedStages: T[] = [];
  private stopped = false;

  constructor(
    plan: readonly T[],
    private readonly upstreamOf: (stage: T) => Iterable<T>,
    private readonly options: ScheduleOptions,
  ) {
    this.pending = [...plan];
    this.inPlan = new Set(plan);
  }

  /** Stages to start now; each counts as running until `finish` is called for it. */
  next(): T[] {
    if (this.stopped) return [];
    const decision = decideStarts(
      this.pending,
      (stage) => [...this.upstreamOf(stage)].filter((u) => this.inPlan.has(u)),
      {
        done: this.done,
        failed: new Set([...this.failed, ...this.skippedStages]),
        running: this.running.size,
        jobs: Math.max(1, this.options.jobs),
      },
    );
    const leaving = new Set([...decision.start, ...decision.skip]);
    this.pending = this.pending.filter((stage) => !leaving.has(stage));
    this.skippedStages.push(...decision.skip);
    for (const stage of decision.start) this.running.add(stage);
    return decision.start;
  }

  finish(stage: T, ok: boolean): void {
    this.running.delete(stage);
    if (ok) {
      this.done.add(stage);
    } else {
      this.failed.add(stage);
      if (!this.options.keepGoing) this.stopped = true;
    }
  }

  /** Stages not run because a stage upstream of them failed (with `keepGoing`). */
  get skipped(): readonly T[] {
    return this.skippedStages;
  }

  /** Stages neither started nor skipped: what a stop after a failure left. */
  get notStarted(): readonly T[] {
    return this.pending;
  }
}
