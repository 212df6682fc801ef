/**
 * A small simulated world for property tests of the planner: GitHub's truth (jobs), Docker's
 * truth (runner containers), a lossy webhook channel and the controller's job book, driven by
 * a list of steps. Each `tick` runs the real `plan()` on what the controller can see, the way
 * the reconciler derives it, and applies the actions to Docker's truth.
 */
import { poolDemand } from '../../controller/src/reconcile/pool-demand.ts';
import fc from 'fast-check';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import type { JobAction, JobEvent } from '../../controller/src/jobs/job-event.ts';
import { observeRunners, runnersOfJobs } from '../../controller/src/reconcile/observe-runners.ts';
import { plan, type Action, type PlanInput } from '../../controller/src/reconcile/plan.ts';
import type { RunnerContainer } from '../../controller/src/runners/runtime.ts';

export type PoolSpec = {
  id: string;
  maxRunners: number;
  minIdleRunners: number;
  platform: undefined;
  /** `{ host: <engine id> }` pins the pool to one engine; empty: any engine. */
  engineLabels: Record<string, string>;
};
export type EngineSpec = { id: string; capacity: number };
export type SimConfig = {
  pools: PoolSpec[];
  maxRunners: number;
  idleTimeoutMs: number;
  engines: EngineSpec[];
};

export type ContainerPhase = 'starting' | 'idle' | 'busy' | 'exited';
export type TruthJob = {
  id: number;
  poolId: string;
  state: JobAction;
  runnerName: string | undefined;
  queuedAt: number;
};
export type Container = {
  name: string;
  poolId: string;
  engineId: string;
  phase: ContainerPhase;
  createdAt: number;
  jobId: number | undefined;
  /** Being removed (asynchronously, as the reconciler does): still listed, still counted. */
  removing: boolean;
};

/**
 * One step of a scenario. Indexes (`pool`, `pick`) are taken modulo the current number of
 * candidates, so any list of steps is valid and shrinks well; a step with no candidate is a no-op.
 */
export type Step =
  | { t: 'queue'; pool: number } // GitHub: a new job is queued (its webhook enters the channel)
  | { t: 'deliver'; pick: number; dup: boolean } // a pending webhook arrives (dup: it will arrive again)
  | { t: 'lose'; pick: number } // a pending webhook is lost
  | { t: 'tick' } // the reconciler runs plan() and applies the actions
  | { t: 'boot'; pick: number } // a starting container becomes idle
  | { t: 'take'; pick: number } // an idle container takes the oldest queued job of its pool
  | { t: 'finish'; pick: number } // a busy container completes its job and exits
  | { t: 'cancel'; pick: number } // a queued job is cancelled (completed without a runner)
  | { t: 'reap'; pick: number } // a removal under way finishes: the container is gone
  | { t: 'advance'; ms: number } // time passes
  | { t: 'resync' } // GitHub's truth is applied to the book
  | { t: 'restart' }; // the controller restarts: new book, then a resync

export type Mode = {
  /** Webhooks may be lost, and the controller may restart. */
  lossy: boolean;
  /**
   * A runner finishes its job only after the job's in_progress webhook reached the book
   * (webhooks arrive in seconds, jobs take longer). Without it, a runner can finish and be
   * cleaned up while the controller still believes its job waits, which needs a second runner.
   */
  finishAfterWebhook: boolean;
};

export class Violation extends Error {}

export class World {
  readonly config: SimConfig;
  readonly mode: Mode;
  now = 1_000_000;
  readonly jobs = new Map<number, TruthJob>();
  readonly containers = new Map<string, Container>();
  /** Webhooks sent by GitHub and not yet delivered (or to be delivered again). */
  channel: JobEvent[] = [];
  book = new JobBook();
  readonly spawns = new Map<string, number>();
  /** Idle runners retired per pool: each may rightly be replaced by a new spawn. */
  readonly retiredIdle = new Map<string, number>();
  /** Retire or cleanup actions that targeted a runner running a job (invariant 4). */
  readonly stoppedBusy: string[] = [];
  /** Retires of runners busy in GitHub's truth but not (yet) in the book: refused by GitHub. */
  readonly refusedRetires: string[] = [];
  readonly log: string[] = [];
  #nextJob = 1;
  #nextRunner = 1;
  #listing = 0;
  #drainRounds = 0;

  constructor(config: SimConfig, mode: Mode) {
    this.config = config;
    this.mode = mode;
    for (const pool of config.pools) this.spawns.set(pool.id, 0);
  }

  run(step: Step): void {
    switch (step.t) {
      case 'queue':
        return this.queue(this.config.pools[step.pool % this.config.pools.length]!.id);
      case 'deliver':
        return this.deliver(step.pick, step.dup);
      case 'lose':
        return this.lose(step.pick);
      case 'tick':
        this.tick();
        return;
      case 'boot':
        return this.boot(step.pick);
      case 'take':
        return this.take(step.pick);
      case 'finish':
        return this.finish(step.pick);
      case 'reap':
        return this.reap(step.pick);
      case 'cancel':
        return this.cancel(step.pick);
      case 'advance':
        this.now += step.ms;
        this.log.push(`advance ${step.ms} ms`);
        return;
      case 'resync':
        this.log.push('resync');
        return this.resync();
      case 'restart':
        this.log.push('restart (new job book, then resync)');
        this.book = new JobBook();
        return this.resync();
    }
  }

  queue(poolId: string): void {
    const job: TruthJob = {
      id: this.#nextJob++,
      poolId,
      state: 'queued',
      runnerName: undefined,
      queuedAt: this.now,
    };
    this.jobs.set(job.id, job);
    this.#emit(job);
    this.log.push(`queue job ${job.id} in pool ${poolId}`);
  }

  deliver(pick: number, dup: boolean): void {
    if (this.channel.length === 0) return;
    const index = pick % this.channel.length;
    const event = this.channel[index]!;
    if (!dup) this.channel.splice(index, 1);
    const result = this.book.apply(event);
    this.log.push(`deliver ${describeEvent(event)}${dup ? ' (will come again)' : ''}: ${result}`);
  }

  lose(pick: number): void {
    if (!this.mode.lossy || this.channel.length === 0) return;
    const [event] = this.channel.splice(pick % this.channel.length, 1);
    this.log.push(`lose ${describeEvent(event!)}`);
  }

  deliverAll(): void {
    while (this.channel.length > 0) this.deliver(0, false);
  }

  /** Applies GitHub's truth to the book, as a resync does. */
  resync(): void {
    for (const job of this.jobs.values()) this.book.apply(this.#event(job));
  }

  boot(pick: number): void {
    const container = this.#pick('starting', pick);
    if (!container) return;
    container.phase = 'idle';
    this.log.push(`boot ${container.name}`);
  }

  take(pick: number): void {
    const container = this.#pick('idle', pick);
    if (container) this.#take(container);
  }

  #take(container: Container): void {
    const job = [...this.jobs.values()]
      .filter((j) => j.poolId === container.poolId && j.state === 'queued')
      .sort((a, b) => a.queuedAt - b.queuedAt || a.id - b.id)[0];
    if (!job) return;
    job.state = 'in_progress';
    job.runnerName = container.name;
    container.phase = 'busy';
    container.jobId = job.id;
    this.#emit(job);
    this.log.push(`${container.name} takes job ${job.id}`);
  }

  finish(pick: number): void {
    const candidates = this.#all('busy').filter(
      (c) => !this.mode.finishAfterWebhook || this.book.get(c.jobId!)?.runnerName === c.name,
    );
    if (candidates.length === 0) return;
    const container = candidates[pick % candidates.length]!;
    const job = this.jobs.get(container.jobId!)!;
    job.state = 'completed';
    container.phase = 'exited';
    this.#emit(job);
    this.log.push(`${container.name} completes job ${job.id} and exits`);
  }

  cancel(pick: number): void {
    const queued = [...this.jobs.values()].filter((j) => j.state === 'queued');
    if (queued.length === 0) return;
    const job = queued[pick % queued.length]!;
    job.state = 'completed';
    this.#emit(job);
    this.log.push(`job ${job.id} cancelled`);
  }

  reap(pick: number): void {
    const removing = [...this.containers.values()].filter((c) => c.removing);
    if (removing.length === 0) return;
    const container = removing[pick % removing.length]!;
    this.containers.delete(container.name);
    this.log.push(`${container.name} removed`);
  }

  /** The view the reconciler builds, then `plan()`, then the actions applied to Docker. */
  tick(): Action[] {
    const listed: RunnerContainer[] = [...this.containers.values()].map((c) => ({
      name: c.name,
      poolId: c.poolId,
      engineId: c.engineId,
      containerId: `id-${c.name}`,
      state: c.phase === 'starting' ? 'created' : c.phase === 'exited' ? 'exited' : 'running',
      exitCode: c.phase === 'exited' ? 0 : undefined,
      createdAt: c.createdAt,
      startedAt: c.phase === 'starting' ? undefined : c.createdAt,
      jobId: undefined,
      sidecarDown: false,
    }));
    const views = observeRunners({
      containers: listed,
      inFlight: new Map(),
      listing: ++this.#listing,
      ...runnersOfJobs(this.book.all()),
      now: this.now,
    });
    const input: PlanInput = {
      now: this.now,
      maxRunners: this.config.maxRunners,
      idleTimeoutMs: this.config.idleTimeoutMs,
      pools: poolDemand(
        this.config.pools,
        (id) => this.book.waiting(id),
        () => 0,
      ),
      runners: views.map(({ name, poolId, engineId, phase, since }) => ({
        name,
        poolId,
        engineId,
        phase,
        since,
      })),
      engines: this.config.engines.map((engine) => ({
        ...engine,
        platforms: ['linux/amd64'],
        labels: { host: engine.id },
      })),
    };
    const actions = plan(input);
    const notes: string[] = [];
    for (const action of actions) {
      if (action.kind === 'spawn') {
        const name = `r${this.#nextRunner++}`;
        this.containers.set(name, {
          name,
          poolId: action.poolId,
          engineId: action.engineId,
          phase: 'starting',
          createdAt: this.now,
          jobId: undefined,
          removing: false,
        });
        this.spawns.set(action.poolId, (this.spawns.get(action.poolId) ?? 0) + 1);
        notes.push(`spawn ${name} in ${action.poolId}`);
        continue;
      }
      const container = this.containers.get(action.name);
      const seen = views.find((v) => v.name === action.name)?.phase;
      if (!container) {
        this.stoppedBusy.push(`${describeAction(action)}: no such container`);
        continue;
      }
      if (container.removing) continue; // the reconciler does not start a second removal
      const what =
        `${describeAction(action)}, which is ${container.phase}` +
        `${container.jobId === undefined ? '' : ` with job ${container.jobId}`}` +
        ` (controller sees ${seen ?? 'nothing'})`;
      // Invariant 4: the controller never stops a runner that it knows runs a job (its book has
      // an in_progress or completed event naming it), and a cleanup never removes a container
      // that has not exited (that would kill its job).
      const known = this.book
        .all()
        .find((job) => job.state !== 'queued' && job.runnerName === container.name);
      if (
        seen === 'busy' ||
        (container.phase === 'busy' && known) ||
        (action.kind === 'cleanup' && container.phase !== 'exited')
      )
        this.stoppedBusy.push(what);
      if (action.kind === 'retire' && container.phase === 'busy') {
        // The controller could not know (its webhook is late or lost); GitHub refuses to
        // deregister a busy runner, so nothing happens.
        this.refusedRetires.push(what);
        notes.push(`${describeAction(action)} refused by GitHub: busy`);
        continue;
      }
      if (container.phase === 'busy') {
        // Removing a running container fails its job.
        const job = this.jobs.get(container.jobId!)!;
        job.state = 'completed';
        this.#emit(job);
      }
      // A retired runner is deregistered and stops; either way the container is removed later.
      if (action.kind === 'retire') {
        this.retiredIdle.set(container.poolId, (this.retiredIdle.get(container.poolId) ?? 0) + 1);
      }
      container.phase = 'exited';
      container.removing = true;
      notes.push(describeAction(action));
    }
    this.log.push(`tick: ${notes.length > 0 ? notes.join(', ') : 'nothing'}`);
    return actions;
  }

  checkNoBusyStopped(): void {
    if (this.stoppedBusy.length > 0)
      throw new Violation(`invariant 4: ${this.stoppedBusy.join('; ')}`);
  }

  /** Invariant 1: containers of every phase, against the global cap and each pool's cap. */
  checkCaps(): void {
    const all = [...this.containers.values()];
    if (all.length > this.config.maxRunners)
      throw new Violation(
        `invariant 1: ${all.length} containers, global cap ${this.config.maxRunners}`,
      );
    for (const pool of this.config.pools) {
      const count = all.filter((c) => c.poolId === pool.id).length;
      if (count > pool.maxRunners)
        throw new Violation(
          `invariant 1: ${count} containers in pool ${pool.id}, cap ${pool.maxRunners}`,
        );
      const pin = pool.engineLabels.host;
      const astray = all.filter((c) => c.poolId === pool.id && pin && c.engineId !== pin);
      if (astray.length > 0)
        throw new Violation(`placement: pool ${pool.id} is pinned to ${pin}, runs on another`);
    }
    for (const engine of this.config.engines) {
      const count = all.filter((c) => c.engineId === engine.id).length;
      if (count > engine.capacity)
        throw new Violation(
          `invariant 1: ${count} containers on engine ${engine.id}, capacity ${engine.capacity}`,
        );
    }
  }

  /** Invariant 3: a runner per job at most, plus the warm pool. */
  checkSpawns(): void {
    for (const pool of this.config.pools) {
      const jobs = [...this.jobs.values()].filter((j) => j.poolId === pool.id).length;
      const spawned = this.spawns.get(pool.id) ?? 0;
      const retired = this.retiredIdle.get(pool.id) ?? 0;
      if (spawned > jobs + pool.minIdleRunners + retired)
        throw new Violation(
          `invariant 3: ${spawned} spawns in pool ${pool.id} for ${jobs} jobs, ${pool.minIdleRunners} warm and ${retired} retired idle`,
        );
    }
  }

  /**
   * A resync, then reliable webhooks and a world that works as fast as it can: every round,
   * a tick, runners boot, idle runners take jobs, busy runners finish, time passes the idle timeout.
   */
  drain(): void {
    this.log.push('--- drain: resync, then reliable webhooks, all runners work ---');
    this.resync();
    this.deliverAll();
    const rounds = 2 * this.jobs.size + 10;
    for (let round = 0; round < rounds; round += 1) {
      this.tick();
      this.checkCaps();
      for (const c of this.#all('starting')) c.phase = 'idle';
      for (const c of this.#all('idle')) this.#take(c);
      this.deliverAll();
      for (let busy = this.#all('busy'); busy.length > 0; busy = this.#all('busy')) this.finish(0);
      this.deliverAll();
      for (const c of [...this.containers.values()]) if (c.removing) this.containers.delete(c.name);
      this.now += this.config.idleTimeoutMs;
    }
    this.#drainRounds = rounds;
  }

  /** Invariant 2, after `drain()`: every job completed, and only the warm pool remains. */
  checkDrained(): void {
    const rounds = this.#drainRounds;
    const unfinished = [...this.jobs.values()].filter((j) => j.state !== 'completed');
    if (unfinished.length > 0)
      throw new Violation(
        `invariant 2: after ${rounds} drain rounds, jobs never completed: ` +
          unfinished.map((j) => `${j.id} (pool ${j.poolId}, ${j.state})`).join(', '),
      );
    const leftover = [...this.containers.values()].filter((c) => c.phase !== 'idle');
    if (leftover.length > 0)
      throw new Violation(
        `invariant 2: containers left: ${leftover.map((c) => `${c.name} ${c.phase}`).join(', ')}`,
      );
    const warm = this.config.pools.map((p) => Math.min(p.minIdleRunners, p.maxRunners));
    const wantTotal = Math.min(
      this.config.maxRunners,
      this.config.engines.reduce((sum, engine) => sum + engine.capacity, 0),
      warm.reduce((a, b) => a + b, 0),
    );
    // With pools pinned to engines the most that fits is a flow problem: only the bound is checked.
    const pinned = this.config.pools.some((pool) => pool.engineLabels.host !== undefined);
    this.config.pools.forEach((pool, i) => {
      const idle = this.#all('idle').filter((c) => c.poolId === pool.id).length;
      if (idle > warm[i]!)
        throw new Violation(
          `invariant 2: ${idle} idle containers left in pool ${pool.id}, warm ${warm[i]}`,
        );
    });
    if (pinned ? this.containers.size > wantTotal : this.containers.size !== wantTotal)
      throw new Violation(
        `invariant 2: ${this.containers.size} warm containers left, want ${wantTotal}`,
      );
  }

  #emit(job: TruthJob): void {
    this.channel.push(this.#event(job));
  }

  #event(job: TruthJob): JobEvent {
    return {
      poolId: job.poolId,
      repoId: job.poolId,
      repository: 'octo/repo',
      jobId: job.id,
      runId: job.id,
      action: job.state,
      labels: ['self-hosted', 'linux'],
      runnerName: job.runnerName,
      at: this.now,
    };
  }

  #all(phase: ContainerPhase): Container[] {
    return [...this.containers.values()].filter((c) => c.phase === phase);
  }

  #pick(phase: ContainerPhase, pick: number): Container | undefined {
    const all = this.#all(phase);
    return all.length === 0 ? undefined : all[pick % all.length];
  }
}

function describeEvent(event: JobEvent): string {
  return `${event.action} job ${event.jobId}${event.runnerName ? ` (${event.runnerName})` : ''}`;
}

function describeAction(action: Action): string {
  return action.kind === 'spawn'
    ? `spawn in ${action.poolId}`
    : `${action.kind} ${action.name} in ${action.poolId}`;
}

// ---- arbitraries ----

export const configArb: fc.Arbitrary<SimConfig> = fc
  .record({
    pools: fc.array(
      fc.record({
        maxRunners: fc.integer({ min: 1, max: 4 }),
        minIdle: fc.nat({ max: 2 }),
        pin: fc.option(fc.nat({ max: 1 }), { freq: 3 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    engines: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 2 }),
    globalCap: fc.integer({ min: 1, max: 12 }),
    idleTimeoutMs: fc.integer({ min: 1, max: 3 }).map((s) => s * 1000),
  })
  .map(({ pools, engines, globalCap, idleTimeoutMs }) => ({
    engines: engines.map((capacity, i) => ({ id: `e${i}`, capacity })),
    pools: pools.map((p, i) => ({
      id: 'abc'[i]!,
      maxRunners: p.maxRunners,
      minIdleRunners: p.minIdle,
      platform: undefined,
      engineLabels: p.pin === null ? {} : { host: `e${Math.min(p.pin, engines.length - 1)}` },
    })),
    // Often below the sum of the pools' caps, sometimes above it.
    maxRunners: Math.min(
      globalCap,
      pools.reduce((sum, p) => sum + p.maxRunners, 0),
    ),
    idleTimeoutMs,
  }));

const pick = fc.nat({ max: 20 });

export function stepArb(lossy: boolean): fc.Arbitrary<Step> {
  const steps: fc.WeightedArbitrary<Step>[] = [
    { weight: 4, arbitrary: fc.record({ t: fc.constant('queue'), pool: fc.nat({ max: 2 }) }) },
    {
      weight: 6,
      arbitrary: fc.record({ t: fc.constant('deliver'), pick, dup: fc.boolean() }),
    },
    { weight: 6, arbitrary: fc.constant({ t: 'tick' }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('boot'), pick }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('take'), pick }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('finish'), pick }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('reap'), pick }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('cancel'), pick }) },
    {
      weight: 4,
      arbitrary: fc.record({ t: fc.constant('advance'), ms: fc.integer({ min: 1, max: 4000 }) }),
    },
  ];
  if (lossy)
    steps.push(
      { weight: 2, arbitrary: fc.record({ t: fc.constant('lose'), pick }) },
      { weight: 1, arbitrary: fc.constant({ t: 'resync' }) },
      { weight: 1, arbitrary: fc.constant({ t: 'restart' }) },
    );
  return fc.oneof(...steps);
}
