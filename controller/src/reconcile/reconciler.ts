import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
import type { RegisteredRunner, Registrar } from '../domain/registrar.ts';
import type { SourceOutage } from '../domain/source-outage.ts';
import type { Job, JobBook } from '../jobs/job-book.ts';
import type { UnservedJob } from '../jobs/unserved-jobs.ts';
import type { RunnerRuntime, RuntimeEvent } from '../runners/runtime.ts';
import { JobWaits } from './job-waits.ts';
import { observeRunners, runnersOfJobs, type RunnerView } from './observe-runners.ts';
import { PassLoop } from './pass-loop.ts';
import { plan, type Action } from './plan.ts';
import { passWakes } from './pass-wakes.ts';
import { poolDemand } from './pool-demand.ts';
import { PoolHealthBook, type PoolHealth } from './pool-health.ts';
import { poolCapacity } from './pool-capacity.ts';
import { RefusedPools } from './refused-pools.ts';
import { RegisteredRunners } from './registered-runners.ts';
import { RunnerActions, type ActionEvents } from './runner-actions.ts';
import { RunnerProgress, type ProgressEvents } from './runner-progress.ts';
import type { WaitReport } from './wait-types.ts';

export type ReconcilerEvents = ActionEvents & ProgressEvents;

type PassContext = {
  now: number;
  waitingOf: (poolId: string) => readonly Job[];
  views: ReadonlyMap<string, RunnerView>;
  nextJob: Map<string, number>;
};

export type ReconcilerDeps = {
  pools: PoolConfig[];
  maxRunners: number;
  idleTimeoutMs: number;
  /** After start(), a pass at least this often: what no event reported is seen then. */
  intervalMs?: number;
  jobs: JobBook;
  /**
   * A pool's count of waiting jobs where its source reports one (WaitingJobs.reported: a scale
   * set's statistics); otherwise the pass counts the book's, as WaitingJobs.count does.
   */
  reportedWaiting: (poolId: string) => number | undefined;
  runtime: RunnerRuntime;
  /** Each pool's registrar, chosen when the controller was wired. */
  registrars: ReadonlyMap<string, Registrar>;
  log: Logger;
  now?: () => number;
  runnerName?: (pool: PoolConfig) => string;
  events?: ReconcilerEvents;
  /** A job waiting longer than this is logged once with its reason (JOB_WAIT_WARN_SECONDS). */
  jobWaitWarnMs?: number;
  /** A pool's job source, when it hears of no job now (a scale set without its session). */
  sourceOutage?: (poolId: string) => SourceOutage | undefined;
  /** Queued jobs no pool serves: they wait too, for a reason of their own. */
  unserved?: () => readonly UnservedJob[];
};

const JOB_WAIT_WARN_MS = 300_000;

/**
 * Level-triggered: each pass reads what exists, plans against what is wanted and acts.
 * Passes never overlap; a trigger during a pass causes one more pass.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #now: () => number;
  readonly #events: ReconcilerEvents;
  readonly #actions: RunnerActions;
  readonly #registered: RegisteredRunners;
  readonly #progress: RunnerProgress;
  /** Containers the engine reported dead that its listing may still show running. */
  readonly #died = new Map<string, number | undefined>();
  readonly #health: PoolHealthBook;
  #listing = 0;
  readonly #refused = new RefusedPools();
  readonly #loop: PassLoop;
  readonly #waits: JobWaits;
  #view: RunnerView[] = [];
  #engineError: string | undefined;
  #unwatch: (() => void) | undefined;
  #tick: NodeJS.Timeout | undefined;

  /** When this process made the reconciler: what the engine holds from before is adopted. */
  readonly #startedAt: number;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#events = deps.events ?? {};
    this.#health = new PoolHealthBook(deps.pools.map((pool) => pool.id));
    this.#registered = new RegisteredRunners(deps.pools);
    this.#waits = new JobWaits({
      pools: deps.pools,
      maxRunners: deps.maxRunners,
      warnAfterMs: deps.jobWaitWarnMs ?? JOB_WAIT_WARN_MS,
      log: deps.log,
      sourceOutage: deps.sourceOutage,
      unserved: deps.unserved,
    });
    this.#loop = new PassLoop(() => this.#guardedPass(), this.#now);
    this.#progress = new RunnerProgress({
      jobs: deps.jobs,
      health: this.#health,
      log: deps.log,
      now: this.#now,
      events: this.#events,
    });
    this.#actions = new RunnerActions({
      runtime: deps.runtime,
      registrars: deps.registrars,
      poolOf: (poolId) => deps.pools.find((pool) => pool.id === poolId),
      log: deps.log,
      now: this.#now,
      health: this.#health,
      progress: this.#progress,
      events: this.#events,
      runnerName: deps.runnerName,
      listing: () => this.#listing,
      trigger: () => this.trigger(),
      wakeIn: (ms) => this.#loop.wakeIn(ms),
    });
  }

  /** Follows the engines' events, passes every `intervalMs`, and makes a first pass now. */
  start(): void {
    this.#unwatch = this.#deps.runtime.watch((event) => this.#engineEvent(event));
    const every = this.#deps.intervalMs;
    if (every !== undefined) {
      this.#tick = setInterval(() => this.trigger(), every);
      this.#tick.unref();
    }
    this.trigger();
  }

  trigger(): void {
    this.#loop.trigger();
  }

  /**
   * For engine events: a pass now and one shortly after, because an engine may report a
   * container's death before its listing shows it exited.
   */
  triggerTwice(laterMs = 500): void {
    this.#loop.triggerTwice(laterMs);
  }

  /** The engine said these containers died: believe it before its listing catches up. */
  noteDeaths(died: readonly { containerId: string; exitCode: number | undefined }[]): void {
    for (const { containerId, exitCode } of died) this.#died.set(containerId, exitCode);
    this.triggerTwice();
  }

  /** The runners as the last pass saw them. */
  runners(): readonly RunnerView[] {
    return this.#view;
  }

  /**
   * The runners registered in an entry, as GitHub lists them: those it reports busy are never
   * stopped, and registrations of this controller left offline without a container, seen so
   * twice in a row, are deregistered when the planner says so.
   */
  noteRegistered(repoId: string, runners: readonly RegisteredRunner[]): void {
    this.#registered.note(repoId, runners, (name) => this.#hasRunner(name));
    this.trigger();
  }

  /** Why each waiting job waits, as of the last pass. */
  waits(): WaitReport {
    return this.#waits.report();
  }

  poolHealth(poolId: string): PoolHealth | undefined {
    return this.#health.get(poolId);
  }

  engineError(): string | undefined {
    return this.#engineError;
  }

  /** Pools no engine can run (their platform, or the engine labels they are pinned to). */
  refusedPools(): ReadonlySet<string> {
    return this.#refused.get();
  }

  /** An engine's event stream broke: the next listing finds out whether it still answers. */
  engineDown(): void {
    this.trigger();
  }

  /**
   * How many jobs a scale-set pool can hold now (its X-ScaleSetMaxCapacity): its runners that
   * work or can take a job, plus those it could start within its cap, the global cap and the
   * room of the engines that can run it.
   */
  capacityFor(poolId: string): number {
    const pool = this.#deps.pools.find((p) => p.id === poolId);
    if (!pool) return 0;
    return poolCapacity(pool, this.#view, this.#deps.runtime.engines(), this.#deps.maxRunners);
  }

  #hasRunner(name: string): boolean {
    return this.#actions.inFlight.has(name) || this.#view.some((view) => view.name === name);
  }

  /** Spawns registering or starting right now. */
  spawnsInFlight(): number {
    return this.#actions.spawning;
  }

  /** Stops planning; spawns already under way are finished, running jobs are left alone. */
  async stop(): Promise<void> {
    this.#unwatch?.();
    clearInterval(this.#tick);
    await this.#loop.stop();
    await this.#actions.settled();
  }

  #engineEvent(event: RuntimeEvent): void {
    if (event.kind === 'engine-down') {
      this.#deps.log.debug(
        { engine: event.engineId, err: event.error },
        'docker engine event stream lost',
      );
      this.engineDown();
      return;
    }
    this.noteDeaths(event.died);
  }

  async #guardedPass(): Promise<void> {
    try {
      await this.#pass();
      this.#engineError = undefined;
    } catch (error) {
      this.#engineError = error instanceof Error ? error.message : String(error);
      this.#events.dockerError?.('list');
      this.#deps.log.warn({ err: error }, 'reconcile pass failed');
      this.#loop.wakeIn(2_000);
    }
  }

  async #pass(): Promise<void> {
    const deps = this.#deps;
    const { views, now } = await this.#observe();
    // Read once per pass: every spawn below looks its job up here, not in the whole book.
    const waiting = deps.jobs.waitingByPool();
    const waitingOf = (poolId: string) => waiting.get(poolId) ?? [];
    const demand = poolDemand(
      deps.pools,
      waitingOf,
      (id) => this.#health.get(id)?.blockedUntil ?? 0,
      deps.reportedWaiting,
    );
    const known = deps.runtime.engines();
    this.#refused.note(deps.pools, known, deps.log);
    const actions = plan({
      now,
      maxRunners: deps.maxRunners,
      idleTimeoutMs: deps.idleTimeoutMs,
      pools: demand,
      runners: views,
      engines: known.filter((engine) => engine.up),
      strays: this.#registered.strays(),
    });
    if (actions.length > 0) {
      deps.log.debug({ runners: views.length, actions: actions.map(describe) }, 'reconcile pass');
    }
    const pass: PassContext = {
      now,
      waitingOf,
      views: new Map(views.map((v) => [v.name, v])),
      nextJob: new Map(),
    };
    // A new runner is labelled with the first waiting job not already covered by a runner.
    for (const view of views) {
      if (view.phase === 'starting' || view.phase === 'idle') {
        pass.nextJob.set(view.poolId, (pass.nextJob.get(view.poolId) ?? 0) + 1);
      }
    }
    for (const action of actions) this.#act(action, pass);
    for (const delay of passWakes(demand, views, deps.idleTimeoutMs, now)) this.#loop.wakeIn(delay);
    const warnIn = this.#waits.note({
      now,
      demand,
      waitingOf,
      runners: views,
      engines: known,
      spawns: actions.filter((action) => action.kind === 'spawn'),
      refused: this.#refused.get(),
      health: (poolId) => this.#health.get(poolId),
    });
    if (warnIn !== undefined) this.#loop.wakeIn(warnIn);
  }

  /** Lists the engines and joins them with what the jobs and GitHub say of each runner. */
  async #observe(): Promise<{ views: RunnerView[]; now: number }> {
    const deps = this.#deps;
    const listing = ++this.#listing;
    const { containers, unreachable, reusedUntil } = await deps.runtime.list();
    const now = this.#now();
    if (reusedUntil !== undefined) this.#loop.wakeIn(Math.max(0, reusedUntil - now));
    deps.jobs.prune(now);
    const { busy, working } = runnersOfJobs(deps.jobs.all());
    for (const name of [...this.#registered.busy(), ...this.#actions.tookJob]) {
      if (!busy.has(name)) busy.set(name, undefined);
      working.add(name);
    }
    const views = observeRunners({
      containers,
      unreachable,
      inFlight: this.#actions.inFlight,
      listing,
      busy,
      working,
      died: this.#died,
      abandoned: this.#actions.abandoned,
      processStartedAt: this.#startedAt,
      now,
    });
    const listed = new Set(containers.map((container) => container.containerId));
    for (const id of this.#died.keys()) if (!listed.has(id)) this.#died.delete(id);
    this.#view = views;
    for (const view of views)
      this.#progress.note(view, busy.has(view.name), this.#actions.isRemoving(view.name));
    return { views, now };
  }

  #act(action: Action, pass: PassContext): void {
    switch (action.kind) {
      case 'spawn': {
        const pool = this.#deps.pools.find((p) => p.id === action.poolId);
        if (!pool) return;
        const index = pass.nextJob.get(pool.id) ?? 0;
        pass.nextJob.set(pool.id, index + 1);
        const jobId = pass.waitingOf(pool.id)[index]?.id;
        this.#actions.spawn(pool, action.engineId, jobId, pass.now);
        return;
      }
      case 'cleanup':
        this.#actions.cleanUp(action.name, action.poolId, pass.views.get(action.name));
        return;
      case 'retire':
        this.#actions.retire(action.name, action.poolId);
        return;
      case 'deregister':
        this.#registered.settled(action.name);
        this.#actions.deregister(action.name, action.poolId, action.runnerId);
        return;
    }
  }
}

function describe(action: Action): string {
  return action.kind === 'spawn'
    ? `spawn:${action.poolId}@${action.engineId}`
    : `${action.kind}:${action.name}`;
}
