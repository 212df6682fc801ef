import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
import type { PoolGitHub } from '../github/pool-github.ts';
import type { Job, JobBook } from '../jobs/job-book.ts';
import type { RunnerRuntime } from '../runners/runtime.ts';
import {
  busyRunners,
  observeRunners,
  workingRunners,
  type InFlight,
  type RunnerView,
} from './observe-runners.ts';
import { PassLoop } from './pass-loop.ts';
import { plan, type Action } from './plan.ts';
import { poolDemand } from './pool-demand.ts';
import { PoolHealthBook, type PoolHealth } from './pool-health.ts';
import { RunnerProgress } from './runner-progress.ts';

export type ReconcilerEvents = {
  spawned?: (poolId: string, durationMs: number, jobId: number | undefined) => void;
  dockerError?: (operation: 'list' | 'start' | 'remove') => void;
  spawnFailed?: (poolId: string) => void;
  exitedEarly?: (poolId: string) => void;
  gaveUp?: (poolId: string) => void;
  removed?: (poolId: string, reason: 'exited' | 'idle') => void;
};

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
  jobs: JobBook;
  runtime: RunnerRuntime;
  github: (poolId: string) => PoolGitHub;
  log: Logger;
  now?: () => number;
  runnerName?: (pool: PoolConfig) => string;
  events?: ReconcilerEvents;
};

/**
 * Level-triggered: each pass reads what exists, plans against what is wanted and acts.
 * Passes never overlap; a trigger during a pass causes one more pass.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #now: () => number;
  readonly #events: ReconcilerEvents;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #spawning = new Set<Promise<void>>();
  readonly #removing = new Set<string>();
  readonly #runnerIds = new Map<string, number>();
  readonly #registeredBusy = new Map<string, ReadonlySet<string>>();
  readonly #progress: RunnerProgress;
  /** Containers the engine reported dead that its listing may still show running. */
  readonly #died = new Map<string, number | undefined>();
  readonly #health: PoolHealthBook;
  #listing = 0;
  readonly #loop: PassLoop;
  #view: RunnerView[] = [];
  #engineError: string | undefined;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#events = deps.events ?? {};
    this.#health = new PoolHealthBook(deps.pools.map((pool) => pool.id));
    this.#loop = new PassLoop(() => this.#guardedPass(), this.#now);
    this.#progress = new RunnerProgress({
      jobs: deps.jobs,
      health: this.#health,
      log: deps.log,
      now: this.#now,
      events: this.#events,
    });
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

  hasRunner(name: string): boolean {
    return this.#inFlight.has(name) || this.#view.some((view) => view.name === name);
  }

  /** Runner names GitHub reports busy: a restarted controller learns from them what not to stop. */
  setRegisteredBusy(poolId: string, names: ReadonlySet<string>): void {
    this.#registeredBusy.set(poolId, names);
  }

  poolHealth(poolId: string): PoolHealth | undefined {
    return this.#health.get(poolId);
  }

  engineError(): string | undefined {
    return this.#engineError;
  }

  /** The engine's event stream broke: report it now; the next good pass clears it. */
  engineDown(error: Error): void {
    this.#engineError = error.message;
    this.trigger();
  }

  /** Stops planning; spawns already under way are finished, running jobs are left alone. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await Promise.allSettled([...this.#spawning]);
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
    const listing = ++this.#listing;
    const containers = await deps.runtime.list();
    const now = this.#now();
    deps.jobs.prune(now);
    const all = deps.jobs.all();
    const busy = busyRunners(all);
    const working = workingRunners(all);
    for (const names of this.#registeredBusy.values()) {
      for (const name of names) {
        if (!busy.has(name)) busy.set(name, undefined);
        working.add(name);
      }
    }
    const views = observeRunners({
      containers,
      inFlight: this.#inFlight,
      listing,
      busy,
      working,
      died: this.#died,
      now,
    });
    const listed = new Set(containers.map((container) => container.containerId));
    for (const id of this.#died.keys()) if (!listed.has(id)) this.#died.delete(id);
    this.#view = views;
    for (const view of views)
      this.#progress.note(view, busy.has(view.name), this.#removing.has(view.name));

    // Read once per pass: every spawn below looks its job up here, not in the whole book.
    const waiting = new Map(deps.pools.map((pool) => [pool.id, deps.jobs.waiting(pool.id)]));
    const waitingOf = (poolId: string) => waiting.get(poolId) ?? [];
    const demand = poolDemand(
      deps.pools,
      waitingOf,
      (id) => this.#health.get(id)?.blockedUntil ?? 0,
    );
    const actions = plan({
      now,
      maxRunners: Math.min(deps.maxRunners, deps.runtime.capacity()),
      idleTimeoutMs: deps.idleTimeoutMs,
      pools: demand,
      runners: views,
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
    // A pool backing off wakes the loop when its pause ends, for waiting jobs or its warm pool.
    const blocked = demand.filter(
      (pool) => pool.blockedUntil > now && pool.waitingJobs + pool.minIdleRunners > 0,
    );
    for (const pool of blocked) this.#loop.wakeIn(pool.blockedUntil - now);
    // Idle runners may become surplus to retire when their timeout ends: wake up then.
    const idleSince = views.filter((view) => view.phase === 'idle').map((view) => view.since);
    if (idleSince.length > 0)
      this.#loop.wakeIn(Math.max(0, Math.min(...idleSince) + deps.idleTimeoutMs - now) + 100);
  }

  #act(action: Action, pass: PassContext): void {
    switch (action.kind) {
      case 'spawn': {
        const pool = this.#deps.pools.find((p) => p.id === action.poolId);
        if (!pool) return;
        const index = pass.nextJob.get(pool.id) ?? 0;
        pass.nextJob.set(pool.id, index + 1);
        this.#spawn(pool, pass.waitingOf(pool.id)[index]?.id, pass.now);
        return;
      }
      case 'cleanup': {
        const view = pass.views.get(action.name);
        if (view && view.containerId !== '' && !this.#removing.has(view.name)) {
          const fields = {
            runner: view.name,
            repo: view.poolId,
            jobId: view.jobId,
            exitCode: view.exitCode,
            stranded: view.stranded,
          };
          if (view.stranded) this.#deps.log.warn(fields, 'runner stranded, removing it');
          else this.#deps.log.info(fields, 'runner exited');
        }
        this.#remove(action.name, action.poolId, 'exited');
        return;
      }
      case 'retire':
        this.#retire(action.name, action.poolId);
        return;
    }
  }

  #spawn(pool: PoolConfig, jobId: number | undefined, now: number): void {
    const name =
      this.#deps.runnerName?.(pool) ?? `${pool.runnerNamePrefix}-${randomBytes(5).toString('hex')}`;
    const entry: InFlight = { poolId: pool.id, since: now, jobId };
    this.#inFlight.set(name, entry);
    this.#progress.started(name);
    const log = this.#deps.log.child({ runner: name, repo: pool.id, jobId });
    const work = (async () => {
      const jit = await this.#deps.github(pool.id).jitConfig(name);
      this.#runnerIds.set(name, jit.runnerId);
      log.info({ runnerId: jit.runnerId }, 'runner registered');
      await this.#deps.runtime
        .start({
          name,
          poolId: pool.id,
          image: pool.runnerImage,
          jitConfig: jit.encodedJitConfig,
          dockerMode: pool.dockerMode,
          jobId,
        })
        .catch((error: unknown) => {
          this.#events.dockerError?.('start');
          throw error;
        });
      log.info('runner started');
    })().then(
      () => {
        entry.doneAtListing = this.#listing;
        this.#health.startSucceeded(pool.id);
        this.#events.spawned?.(pool.id, this.#now() - now, jobId);
      },
      (error: unknown) => {
        this.#inFlight.delete(name);
        this.#progress.forget(name);
        const message = error instanceof Error ? error.message : String(error);
        const delay = this.#health.startFailed(pool.id, message, this.#now());
        this.#events.spawnFailed?.(pool.id);
        log.error({ err: error, retryInMs: delay }, 'runner spawn failed');
        this.#loop.wakeIn(delay);
        const runnerId = this.#runnerIds.get(name);
        if (runnerId === undefined) return;
        this.#runnerIds.delete(name);
        this.#deps
          .github(pool.id)
          .deregister(name, runnerId)
          .catch((cleanupError: unknown) =>
            log.warn({ err: cleanupError }, 'deregistering a runner that did not start failed'),
          );
      },
    );
    const tracked = work.finally(() => {
      this.#spawning.delete(tracked);
      this.trigger();
    });
    this.#spawning.add(tracked);
  }

  #remove(name: string, poolId: string, reason: 'exited' | 'idle'): void {
    if (this.#removing.has(name)) return;
    this.#removing.add(name);
    this.#deps.runtime
      .remove(name)
      .then(
        () => {
          this.#deps.log.info({ runner: name, repo: poolId, reason }, 'runner removed');
          this.#events.removed?.(poolId, reason);
          this.#progress.forget(name);
          this.#runnerIds.delete(name);
        },
        (error: unknown) => {
          this.#events.dockerError?.('remove');
          this.#deps.log.warn({ err: error, runner: name }, 'runner removal failed');
        },
      )
      .finally(() => {
        this.#removing.delete(name);
        this.trigger();
      });
  }

  #retire(name: string, poolId: string): void {
    if (this.#removing.has(name)) return;
    this.#removing.add(name);
    const log = this.#deps.log.child({ runner: name, repo: poolId });
    this.#deps
      .github(poolId)
      .deregister(name, this.#runnerIds.get(name))
      .then(
        (result) => {
          this.#removing.delete(name);
          if (result === 'busy') return log.info('idle runner took a job; kept');
          this.#remove(name, poolId, 'idle');
        },
        (error: unknown) => {
          this.#removing.delete(name);
          log.warn({ err: error }, 'deregistering an idle runner failed');
        },
      );
  }
}

function describe(action: Action): string {
  return action.kind === 'spawn' ? `spawn:${action.poolId}` : `${action.kind}:${action.name}`;
}
