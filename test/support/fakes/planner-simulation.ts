/**
 * A small simulated world for property tests of the reconciler: GitHub's truth (jobs), Docker's
 * truth (runner containers, on the fake runtime), a lossy webhook channel and the controller's
 * job book, driven by a list of steps. Each `tick` runs the real Reconciler (its passes, the
 * planner and its runner actions) against the fake runtime and a registrar that answers as
 * GitHub does, until it is quiet.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import type { PoolConfig } from '../../../controller/src/config/load-config.ts';
import type { Registrar } from '../../../controller/src/domain/registrar.ts';
import { JobBook } from '../../../controller/src/jobs/job-book.ts';
import type { JobAction, JobEvent } from '../../../controller/src/jobs/job-event.ts';
import { WaitingJobs } from '../../../controller/src/jobs/waiting-jobs.ts';
import { Reconciler } from '../../../controller/src/reconcile/reconciler.ts';
import type { RunnerContainer } from '../../../controller/src/runners/runtime.ts';
import { testConfig } from '../fixtures/config-fixtures.ts';
import { FakeRegistrar } from './fake-registrar.ts';
import { FakeRuntime, type FakeContainer } from './fake-runtime.ts';
import { settle } from './reconciler-setup.ts';

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

/**
 * One step of a scenario. Indexes (`pool`, `pick`) are taken modulo the current number of
 * candidates, so any list of steps is valid and shrinks well; a step with no candidate is a no-op.
 */
export type Step =
  | { t: 'queue'; pool: number } // GitHub: a new job is queued (its webhook enters the channel)
  | { t: 'deliver'; pick: number; dup: boolean } // a pending webhook arrives (dup: it will arrive again)
  | { t: 'lose'; pick: number } // a pending webhook is lost
  | { t: 'tick' } // the reconciler runs until it is quiet
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

/** The longest pause the reconciler puts a pool in after runners that did not take a job. */
const LONGEST_BACKOFF_MS = 60_000;

export class World {
  readonly config: SimConfig;
  readonly mode: Mode;
  now = 1_000_000;
  readonly jobs = new Map<number, TruthJob>();
  /** Webhooks sent by GitHub and not yet delivered (or to be delivered again). */
  channel: JobEvent[] = [];
  book = new JobBook();
  readonly runtime: FakeRuntime;
  readonly registrar = new FakeRegistrar();
  /** Containers running a job, in truth (the controller learns it by webhook, or not). */
  readonly #busy = new Map<string, number>();
  /** Runners whose deregistration GitHub accepted: their removal is a retirement. */
  readonly #retired = new Set<string>();
  readonly spawns = new Map<string, number>();
  /** Idle runners retired per pool: each may rightly be replaced by a new spawn. */
  readonly retiredIdle = new Map<string, number>();
  /** Retirements or removals of a runner running a job (invariant 4). */
  readonly stoppedBusy: string[] = [];
  /** Retires of runners busy in GitHub's truth but not (yet) in the book: refused by GitHub. */
  readonly refusedRetires: string[] = [];
  readonly log: string[] = [];
  readonly #pools: PoolConfig[];
  #reconciler: Reconciler;
  #notes: string[] = [];
  #nextJob = 1;
  #nextRunner = 1;
  #drainRounds = 0;

  constructor(config: SimConfig, mode: Mode) {
    this.config = config;
    this.mode = mode;
    for (const pool of config.pools) this.spawns.set(pool.id, 0);
    this.#pools = poolsOf(config);
    this.runtime = new FakeRuntime({
      engines: config.engines.map((engine) => ({
        ...engine,
        platforms: ['linux/amd64'],
        labels: { host: engine.id },
      })),
      now: () => this.now,
      bootOnStart: false,
      holdRemovals: true,
      onStart: (container) => this.#started(container),
      onRemove: (container, before) => this.#removed(container, before),
    });
    this.#reconciler = this.#controller();
  }

  /** The real reconciler on this world's fakes, with the current book. */
  #controller(): Reconciler {
    const waiting = new WaitingJobs(this.book);
    const checked: Registrar = {
      register: (name) => this.registrar.register(name),
      deregister: (name, runnerId) => this.#deregister(name, runnerId),
    };
    return new Reconciler({
      pools: this.#pools,
      maxRunners: this.config.maxRunners,
      idleTimeoutMs: this.config.idleTimeoutMs,
      jobs: this.book,
      reportedWaiting: (poolId) => waiting.reported(poolId),
      runtime: this.runtime,
      registrars: new Map(this.#pools.map((pool) => [pool.id, checked])),
      log: pino({ level: 'silent' }),
      now: () => this.now,
      runnerName: () => `r${this.#nextRunner++}`,
    });
  }

  async run(step: Step): Promise<void> {
    switch (step.t) {
      case 'queue':
        return this.queue(this.config.pools[step.pool % this.config.pools.length]!.id);
      case 'deliver':
        return this.deliver(step.pick, step.dup);
      case 'lose':
        return this.lose(step.pick);
      case 'tick':
        return this.tick();
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
        await this.#reconciler.stop();
        // Every start the old process made had finished: the engine shows those containers
        // running (the world's `created` stands for a runner still booting, which Docker does
        // not show), so none is left `created` from before the restart.
        for (const c of this.#all('starting')) this.runtime.boot(c.name);
        this.book = new JobBook();
        this.#reconciler = this.#controller();
        return this.resync();
    }
  }

  /** The reconciler runs (its passes, and the passes its actions ask for) until it is quiet. */
  async tick(): Promise<void> {
    this.#notes = [];
    this.#reconciler.trigger();
    await settle();
    this.log.push(`tick: ${this.#notes.length > 0 ? this.#notes.join(', ') : 'nothing'}`);
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
    this.runtime.boot(container.name);
    this.log.push(`boot ${container.name}`);
  }

  take(pick: number): void {
    const container = this.#pick('idle', pick);
    if (container) this.#take(container);
  }

  #take(container: FakeContainer): void {
    // GitHub gives jobs to registered runners only: a deregistered one waits to be removed.
    if (!this.registrar.registered(container.name)) return;
    const job = [...this.jobs.values()]
      .filter((j) => j.poolId === container.poolId && j.state === 'queued')
      .sort((a, b) => a.queuedAt - b.queuedAt || a.id - b.id)[0];
    if (!job) return;
    job.state = 'in_progress';
    job.runnerName = container.name;
    this.#busy.set(container.name, job.id);
    const registration = this.registrar.registrations.get(container.name);
    if (registration) registration.busy = true;
    this.#emit(job);
    this.log.push(`${container.name} takes job ${job.id}`);
  }

  finish(pick: number): void {
    const candidates = this.#all('busy').filter(
      (c) =>
        !this.mode.finishAfterWebhook ||
        this.book.get(this.#busy.get(c.name)!)?.runnerName === c.name,
    );
    if (candidates.length === 0) return;
    const container = candidates[pick % candidates.length]!;
    const job = this.jobs.get(this.#busy.get(container.name)!)!;
    job.state = 'completed';
    this.#busy.delete(container.name);
    // A single-use runner goes away with its registration once its job is done.
    this.registrar.registrations.delete(container.name);
    this.runtime.exit(container.name, 0, { event: false });
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
    const removing = this.runtime.removing();
    if (removing.length === 0) return;
    const name = removing[pick % removing.length]!;
    this.runtime.finishRemoval(name);
    this.log.push(`${name} removed`);
  }

  #started(container: FakeContainer): void {
    this.spawns.set(container.poolId, (this.spawns.get(container.poolId) ?? 0) + 1);
    this.#notes.push(`spawn ${container.name} in ${container.poolId}`);
  }

  /** What GitHub answers a deregistration, and whether the controller should have asked. */
  #deregister(name: string, runnerId: number | undefined): Promise<'removed' | 'busy'> {
    const container = this.runtime.containers.get(name);
    const what = `retire ${name}, which is ${container ? this.#phase(container) : 'gone'}`;
    // What the controller saw when it decided: the view of the pass that is acting now.
    const seen = this.#reconciler.runners().find((runner) => runner.name === name)?.phase;
    if (seen === 'busy') this.stoppedBusy.push(`${what} (the controller sees it busy)`);
    return this.registrar.deregister(name, runnerId).then((result) => {
      if (result === 'busy') {
        // The controller could not know (its webhook is late or lost); GitHub refuses.
        this.refusedRetires.push(what);
        this.#notes.push(`retire ${name} refused by GitHub: busy`);
      } else this.#retired.add(name);
      return result;
    });
  }

  #removed(container: FakeContainer, before: RunnerContainer['state']): void {
    const job = this.#busy.get(container.name);
    const phase =
      before === 'created'
        ? 'starting'
        : before === 'exited'
          ? 'exited'
          : job === undefined
            ? 'idle'
            : 'busy';
    const retired = this.#retired.delete(container.name);
    const what = `${retired ? 'retire' : 'cleanup'} ${container.name} in ${container.poolId}, which was ${phase}${job === undefined ? '' : ` with job ${job}`}`;
    // Invariant 4: a runner that runs a job is never stopped, and only exited ones are removed
    // (a retired one stops once GitHub accepted its deregistration, which it refuses if busy).
    if (phase === 'busy' || (!retired && phase !== 'exited')) this.stoppedBusy.push(what);
    if (job !== undefined) {
      // Removing a running container fails its job.
      const truth = this.jobs.get(job)!;
      truth.state = 'completed';
      this.#busy.delete(container.name);
      this.#emit(truth);
    }
    if (retired)
      this.retiredIdle.set(container.poolId, (this.retiredIdle.get(container.poolId) ?? 0) + 1);
    this.#notes.push(what);
  }

  checkNoBusyStopped(): void {
    if (this.stoppedBusy.length > 0)
      throw new Violation(`invariant 4: ${this.stoppedBusy.join('; ')}`);
  }

  /** Invariant 1: containers of every phase, against the global cap and each pool's cap. */
  checkCaps(): void {
    const all = this.runtime.of();
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
   * a tick, runners boot, idle runners take jobs, busy runners finish, removals finish, and time
   * passes the idle timeout and the longest pause after runners that exited without a job.
   */
  async drain(): Promise<void> {
    this.log.push('--- drain: resync, then reliable webhooks, all runners work ---');
    this.resync();
    this.deliverAll();
    const rounds = 2 * this.jobs.size + 10;
    for (let round = 0; round < rounds; round += 1) {
      await this.tick();
      this.checkCaps();
      for (const c of this.#all('starting')) this.runtime.boot(c.name);
      for (const c of this.#all('idle')) this.#take(c);
      this.deliverAll();
      for (let busy = this.#all('busy'); busy.length > 0; busy = this.#all('busy')) this.finish(0);
      this.deliverAll();
      for (const name of this.runtime.removing()) this.runtime.finishRemoval(name);
      this.now += Math.max(this.config.idleTimeoutMs, LONGEST_BACKOFF_MS);
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
    const leftover = this.runtime.of().filter((c) => this.#phase(c) !== 'idle');
    if (leftover.length > 0)
      throw new Violation(
        `invariant 2: containers left: ${leftover.map((c) => `${c.name} ${this.#phase(c)}`).join(', ')}`,
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
    const total = this.runtime.of().length;
    if (pinned ? total > wantTotal : total !== wantTotal)
      throw new Violation(`invariant 2: ${total} warm containers left, want ${wantTotal}`);
  }

  async close(): Promise<void> {
    await this.#reconciler.stop();
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

  #phase(container: FakeContainer): ContainerPhase {
    if (container.state === 'created') return 'starting';
    if (container.state === 'exited') return 'exited';
    return this.#busy.has(container.name) ? 'busy' : 'idle';
  }

  #all(phase: ContainerPhase): FakeContainer[] {
    return this.runtime.of().filter((c) => this.#phase(c) === phase);
  }

  #pick(phase: ContainerPhase, pick: number): FakeContainer | undefined {
    const all = this.#all(phase);
    return all.length === 0 ? undefined : all[pick % all.length];
  }
}

/** The simulated pools as the controller's configuration has them (the rest as defaults). */
function poolsOf(config: SimConfig): PoolConfig[] {
  const [template] = testConfig({
    GITHUB_URL: 'https://github.com/octo/repo',
    GITHUB_TOKEN: 't',
  }).pools;
  if (!template) throw new Error('no pool');
  return config.pools.map((pool) => ({
    ...template,
    id: pool.id,
    repoId: pool.id,
    runnerNamePrefix: 'r',
    maxRunners: pool.maxRunners,
    minIdleRunners: pool.minIdleRunners,
    platform: pool.platform,
    engineLabels: pool.engineLabels,
  }));
}

function describeEvent(event: JobEvent): string {
  return `${event.action} job ${event.jobId}${event.runnerName ? ` (${event.runnerName})` : ''}`;
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
