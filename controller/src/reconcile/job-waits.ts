import type { Logger } from 'pino';
import type { PoolConfig } from '../config/config-types.ts';
import type { SourceOutage } from '../domain/source-outage.ts';
import type { Job } from '../jobs/job-book.ts';
import type { UnservedJob } from '../jobs/unserved-jobs.ts';
import type { EngineStatus } from '../runners/runtime.ts';
import type { RunnerView } from './observe-runners.ts';
import type { PoolDemand } from './plan.ts';
import type { PoolHealth } from './pool-health.ts';
import { waitDetail } from './wait-detail.ts';
import { waitReasons } from './wait-reasons.ts';
import { NO_WAITS, type WaitReport } from './wait-types.ts';

export type JobWaitsDeps = {
  pools: readonly PoolConfig[];
  maxRunners: number;
  /** A job waiting longer than this is logged once, with its reason. */
  warnAfterMs: number;
  log: Logger;
  /** A pool's job source, when it hears of no job now (a scale set without its session). */
  sourceOutage: ((poolId: string) => SourceOutage | undefined) | undefined;
  /** Queued jobs that no pool serves. */
  unserved: (() => readonly UnservedJob[]) | undefined;
};

/** What one pass knows, as the reasons are read from it. */
export type PassFacts = {
  now: number;
  demand: readonly PoolDemand[];
  waitingOf: (poolId: string) => readonly Job[];
  runners: readonly RunnerView[];
  engines: readonly EngineStatus[];
  spawns: readonly { poolId: string; engineId: string }[];
  refused: ReadonlySet<string>;
  health: (poolId: string) => PoolHealth | undefined;
};

/**
 * Why each waiting job waits, as of the reconciler's latest pass, and the log line for a job
 * that has waited too long (once per job). The reasons are read from the pass's facts when they
 * are asked for (/health, the status page, a scrape) or a job passes the threshold, not on every
 * pass: at a thousand pools a pass comes with every delivery, and most are never read.
 */
export class JobWaits {
  readonly #deps: JobWaitsDeps;
  #facts: PassFacts | undefined;
  /** The reasons of the latest pass, once read. */
  #report: WaitReport | undefined = NO_WAITS;
  /** Jobs logged as waiting too long, while they wait. */
  readonly #warned = new Set<string>();

  constructor(deps: JobWaitsDeps) {
    this.#deps = deps;
  }

  report(): WaitReport {
    if (this.#report === undefined && this.#facts) this.#report = this.#read(this.#facts);
    return this.#report ?? NO_WAITS;
  }

  /**
   * Takes a pass's facts; logs the jobs that passed the threshold since, and answers in how many
   * ms the next one will, if one will.
   */
  note(pass: PassFacts): number | undefined {
    this.#facts = pass;
    this.#report = undefined;
    const { pools, unserved, warnAfterMs } = this.#deps;
    const overdue = new Set<string>();
    let next: number | undefined;
    const see = (queuedAt: number, key: () => string) => {
      const waited = pass.now - queuedAt;
      if (waited < warnAfterMs) next = Math.min(next ?? Infinity, warnAfterMs - waited);
      else overdue.add(key());
    };
    for (const pool of pools)
      for (const job of pass.waitingOf(pool.id)) see(job.queuedAt, () => `${pool.id}:${job.id}`);
    for (const job of unserved?.() ?? []) see(job.at, () => `${job.repoId}:${job.jobId}`);
    for (const key of this.#warned) if (!overdue.has(key)) this.#warned.delete(key);
    if ([...overdue].some((key) => !this.#warned.has(key))) this.#warn(pass.now);
    return next;
  }

  #read(pass: PassFacts): WaitReport {
    const { pools, maxRunners, sourceOutage, unserved } = this.#deps;
    const count = new Map(pass.demand.map((pool) => [pool.id, pool.waitingJobs]));
    return waitReasons({
      now: pass.now,
      maxRunners,
      pools: pools.map((pool) => {
        const health = pass.health(pool.id);
        return {
          id: pool.id,
          repoId: pool.repoId,
          maxRunners: pool.maxRunners,
          platform: pool.platform,
          engineLabels: pool.engineLabels,
          runtimes: pool.runtimes,
          waiting: pass.waitingOf(pool.id),
          count: count.get(pool.id) ?? 0,
          refused: pass.refused.has(pool.id),
          blockedUntil: health?.blockedUntil ?? 0,
          lastFailure: health?.lastFailure,
          outage: sourceOutage?.(pool.id),
        };
      }),
      runners: pass.runners,
      engines: pass.engines,
      spawns: pass.spawns,
      unserved: unserved?.() ?? [],
    });
  }

  /** Logs, with its reason, each job past the threshold not logged yet. */
  #warn(now: number): void {
    const { warnAfterMs, log } = this.#deps;
    for (const job of this.report().jobs) {
      const waited = now - job.queuedAt;
      const key = `${job.poolId ?? job.repoId}:${job.jobId}`;
      if (waited < warnAfterMs || this.#warned.has(key)) continue;
      this.#warned.add(key);
      log.warn(
        {
          repo: job.repoId,
          pool: job.poolId,
          jobId: job.jobId,
          repository: job.repository,
          waitedSeconds: Math.round(waited / 1000),
          reason: job.why.reason,
          detail: waitDetail(job.why, now),
        },
        'job waiting longer than JOB_WAIT_WARN_SECONDS',
      );
    }
  }
}
