import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
import type { PoolGitHub } from '../github/pool-github.ts';
import type { JobBook } from '../jobs/job-book.ts';
import { classifyGitHubError } from '../github/github-error.ts';
import { resyncJobs } from './resync-jobs.ts';
import { staleRunners } from './stale-runners.ts';

export type GitHubHealth = {
  reachable: boolean;
  lastError: string | undefined;
  lastSyncAt: number | undefined;
};

export type ResyncTarget = {
  trigger(): void;
  hasRunner(name: string): boolean;
  setRegisteredBusy(poolId: string, names: ReadonlySet<string>): void;
};

export type ResyncerDeps = {
  pools: PoolConfig[];
  github: (poolId: string) => PoolGitHub;
  jobs: JobBook;
  target: ResyncTarget;
  log: Logger;
  now: () => number;
  intervalMs: number;
  onResync?: (poolId: string, outcome: 'ok' | 'error') => void;
  /** Extra work per pool after the job resync (e.g. redelivery of failed webhooks). */
  extra?: ((pool: PoolConfig) => Promise<unknown>) | undefined;
};

/** Re-reads GitHub on an interval: webhooks are only the fast path. */
export class Resyncer {
  readonly #deps: ResyncerDeps;
  readonly #health = new Map<string, GitHubHealth>();
  readonly #staleSeen = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: ResyncerDeps) {
    this.#deps = deps;
    for (const pool of deps.pools) {
      this.#health.set(pool.id, { reachable: true, lastError: undefined, lastSyncAt: undefined });
    }
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  health(poolId: string): GitHubHealth | undefined {
    return this.#health.get(poolId);
  }

  /** Runs one resync of every pool now (also used at start). */
  async resyncAll(): Promise<void> {
    for (const pool of this.#deps.pools) {
      if (this.#stopped) return;
      await this.#resyncPool(pool);
    }
    this.#deps.target.trigger();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.resyncAll().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#deps.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** Jobs, registrations and the extra work fail separately: one failing never stops the others. */
  async #resyncPool(pool: PoolConfig): Promise<void> {
    const deps = this.#deps;
    const github = deps.github(pool.id);
    const log = deps.log.child({ repo: pool.id });
    const failures: unknown[] = [];
    const step = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        failures.push(error);
        log.warn({ err: error, step: what }, 'resync with GitHub failed');
      }
    };
    await step('jobs', async () => {
      const changed = await resyncJobs(pool, await github.jobs(), deps.jobs, deps.now);
      if (changed > 0) log.info({ changed }, 'resync found job changes');
    });
    await step('runners', async () => {
      const registered = await github.runners();
      deps.target.setRegisteredBusy(
        pool.id,
        new Set(registered.filter((r) => r.busy).map((r) => r.name)),
      );
      const seen = this.#staleSeen.get(pool.id) ?? new Set<string>();
      const { stale, candidates } = staleRunners(
        registered,
        pool.runnerNamePrefix,
        (name) => deps.target.hasRunner(name),
        seen,
      );
      this.#staleSeen.set(pool.id, candidates);
      for (const runner of stale) {
        const result = await github.deregister(runner.name, runner.id);
        log.info({ runner: runner.name, result }, 'offline runner without container deregistered');
      }
    });
    if (deps.extra) await step('extra', async () => void (await deps.extra?.(pool)));
    const health = this.#health.get(pool.id);
    const first = failures[0];
    if (first === undefined) {
      if (health)
        Object.assign(health, { reachable: true, lastError: undefined, lastSyncAt: deps.now() });
      deps.onResync?.(pool.id, 'ok');
    } else {
      const reachable = classifyGitHubError(first) !== 'unreachable';
      if (health) Object.assign(health, { reachable, lastError: messageOf(first) });
      deps.onResync?.(pool.id, 'error');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
