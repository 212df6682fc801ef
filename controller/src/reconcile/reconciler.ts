import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
import type { PoolGitHub } from '../github/pool-github.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { RunnerRuntime } from '../runners/runtime.ts';
import { busyRunners, observeRunners, type InFlight, type RunnerView } from './observe-runners.ts';
import { plan, type Action, type PoolDemand } from './plan.ts';

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
};

export type PoolHealth = {
  spawnFailures: number;
  blockedUntil: number;
  imageOutdated: boolean;
  lastError: string | undefined;
};

const BACKOFF_MAX_MS = 60_000;
const OUTDATED_EXIT_CODE = 7;

/**
 * Level-triggered: each pass reads what exists, plans against what is wanted and acts.
 * Passes never overlap; a trigger during a pass causes one more pass.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #spawning = new Set<Promise<void>>();
  readonly #removing = new Set<string>();
  readonly #runnerIds = new Map<string, number>();
  readonly #poolHealth = new Map<string, PoolHealth>();
  #listing = 0;
  #dirty = false;
  #running: Promise<void> | undefined;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #followUp: NodeJS.Timeout | undefined;
  #view: RunnerView[] = [];
  #engineError: string | undefined;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    for (const pool of deps.pools) {
      this.#poolHealth.set(pool.id, {
        spawnFailures: 0,
        blockedUntil: 0,
        imageOutdated: false,
        lastError: undefined,
      });
    }
  }

  trigger(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /**
   * For engine events: a pass now and one shortly after, because an engine may report a
   * container's death before its listing shows it exited.
   */
  triggerTwice(laterMs = 500): void {
    this.trigger();
    if (this.#stopped || this.#followUp) return;
    this.#followUp = setTimeout(() => {
      this.#followUp = undefined;
      this.trigger();
    }, laterMs);
    this.#followUp.unref();
  }

  /** The runners as the last pass saw them. */
  runners(): readonly RunnerView[] {
    return this.#view;
  }

  poolHealth(poolId: string): PoolHealth | undefined {
    return this.#poolHealth.get(poolId);
  }

  engineError(): string | undefined {
    return this.#engineError;
  }

  /** Stops planning; spawns already under way are finished, running jobs are left alone. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#followUp) clearTimeout(this.#followUp);
    await this.#running;
    await Promise.allSettled([...this.#spawning]);
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false;
      try {
        await this.#pass();
        this.#engineError = undefined;
      } catch (error) {
        this.#engineError = error instanceof Error ? error.message : String(error);
        this.#deps.log.warn({ err: error }, 'reconcile pass failed');
        this.#retryIn(2_000);
      }
    }
  }

  async #pass(): Promise<void> {
    const { deps } = { deps: this.#deps };
    const listing = ++this.#listing;
    const containers = await deps.runtime.list();
    const now = this.#now();
    deps.jobs.prune(now);
    const views = observeRunners(containers, this.#inFlight, listing, busyRunners(deps.jobs.all()));
    this.#view = views;
    const demand: PoolDemand[] = deps.pools.map((pool) => {
      const waiting = deps.jobs.waiting(pool.id);
      return {
        id: pool.id,
        maxRunners: pool.maxRunners,
        minIdleRunners: pool.minIdleRunners,
        waitingJobs: waiting.length,
        oldestWaitingAt: waiting[0]?.queuedAt,
        blockedUntil: this.#poolHealth.get(pool.id)?.blockedUntil ?? 0,
      };
    });
    const actions = plan({
      now,
      maxRunners: Math.min(deps.maxRunners, deps.runtime.capacity()),
      idleTimeoutMs: deps.idleTimeoutMs,
      pools: demand,
      runners: views,
    });
    if (actions.length > 0) {
      deps.log.debug(
        {
          runners: views.length,
          actions: actions.map((a) =>
            a.kind === 'spawn' ? `spawn:${a.poolId}` : `${a.kind}:${a.name}`,
          ),
        },
        'reconcile pass',
      );
    }
    const spawnsPerPool = new Map<string, number>();
    for (const action of actions) this.#act(action, views, spawnsPerPool, now);
  }

  #act(action: Action, views: RunnerView[], spawnsPerPool: Map<string, number>, now: number): void {
    switch (action.kind) {
      case 'spawn': {
        const pool = this.#deps.pools.find((p) => p.id === action.poolId);
        if (!pool) return;
        const index = spawnsPerPool.get(pool.id) ?? 0;
        spawnsPerPool.set(pool.id, index + 1);
        const starting = views.filter(
          (v) => v.poolId === pool.id && v.phase !== 'busy' && v.phase !== 'exited',
        ).length;
        const jobId = this.#deps.jobs.waiting(pool.id)[starting + index]?.id;
        this.#spawn(pool, jobId, now);
        return;
      }
      case 'cleanup': {
        const view = views.find((v) => v.name === action.name);
        if (view?.exitCode === OUTDATED_EXIT_CODE) this.#markOutdated(action.poolId, action.name);
        this.#remove(action.name, 'exited');
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
    const log = this.#deps.log.child({ runner: name, repo: pool.id, jobId });
    const work = (async () => {
      const jit = await this.#deps.github(pool.id).jitConfig(name);
      this.#runnerIds.set(name, jit.runnerId);
      log.info({ runnerId: jit.runnerId }, 'runner registered');
      await this.#deps.runtime.start({
        name,
        poolId: pool.id,
        image: pool.runnerImage,
        jitConfig: jit.encodedJitConfig,
        dockerMode: pool.dockerMode,
        jobId,
      });
      log.info('runner started');
    })().then(
      () => {
        entry.doneAtListing = this.#listing;
        this.#spawnSucceeded(pool.id);
      },
      (error: unknown) => {
        this.#inFlight.delete(name);
        this.#spawnFailed(pool.id, error, log);
        const runnerId = this.#runnerIds.get(name);
        if (runnerId !== undefined) {
          this.#runnerIds.delete(name);
          this.#deps
            .github(pool.id)
            .deregister(name, runnerId)
            .catch((cleanupError: unknown) =>
              log.warn({ err: cleanupError }, 'deregistering a runner that did not start failed'),
            );
        }
      },
    );
    const tracked = work.finally(() => {
      this.#spawning.delete(tracked);
      this.trigger();
    });
    this.#spawning.add(tracked);
  }

  #spawnSucceeded(poolId: string): void {
    const health = this.#poolHealth.get(poolId);
    if (!health) return;
    health.spawnFailures = 0;
    health.blockedUntil = 0;
    health.lastError = undefined;
  }

  #spawnFailed(poolId: string, error: unknown, log: Logger): void {
    const health = this.#poolHealth.get(poolId);
    if (!health) return;
    health.spawnFailures += 1;
    const delay = Math.min(BACKOFF_MAX_MS, 1_000 * 2 ** (health.spawnFailures - 1));
    health.blockedUntil = this.#now() + delay;
    health.lastError = error instanceof Error ? error.message : String(error);
    log.error(
      { err: error, retryInMs: delay, failures: health.spawnFailures },
      'runner spawn failed',
    );
    this.#retryIn(delay);
  }

  #markOutdated(poolId: string, name: string): void {
    const health = this.#poolHealth.get(poolId);
    if (!health || health.imageOutdated) return;
    health.imageOutdated = true;
    this.#deps.log.error(
      { runner: name, repo: poolId },
      'runner image is outdated: GitHub no longer accepts its runner version',
    );
  }

  #remove(name: string, reason: string): void {
    if (this.#removing.has(name)) return;
    this.#removing.add(name);
    this.#deps.runtime
      .remove(name)
      .then(
        () => this.#deps.log.info({ runner: name, reason }, 'runner removed'),
        (error: unknown) =>
          this.#deps.log.warn({ err: error, runner: name }, 'runner removal failed'),
      )
      .finally(() => {
        this.#removing.delete(name);
        this.#runnerIds.delete(name);
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
          this.#remove(name, 'idle');
        },
        (error: unknown) => {
          this.#removing.delete(name);
          log.warn({ err: error }, 'deregistering an idle runner failed');
        },
      );
  }

  #retryIn(ms: number): void {
    if (this.#stopped || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.trigger();
    }, ms);
    this.#retryTimer.unref();
  }
}
