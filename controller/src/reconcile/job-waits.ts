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
import { NO_WAITS, type JobWait, type WaitReport } from './wait-types.ts';

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
 * that has waited too long (once per job).
 */
export class JobWaits {
  readonly #deps: JobWaitsDeps;
  #report: WaitReport = NO_WAITS;
  /** Jobs logged as waiting too long, while they wait. */
  readonly #warned = new Set<string>();

  constructor(deps: JobWaitsDeps) {
    this.#deps = deps;
  }

  report(): WaitReport {
    return this.#report;
  }

  /** Reads the reasons again; answers in how many ms a job will pass the threshold, if one will. */
  note(pass: PassFacts): number | undefined {
    const { pools, maxRunners, sourceOutage, unserved } = this.#deps;
    const count = new Map(pass.demand.map((pool) => [pool.id, pool.waitingJobs]));
    this.#report = waitReasons({
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
    return this.#warn(this.#report.jobs, pass.now);
  }

  #warn(jobs: readonly JobWait[], now: number): number | undefined {
    const { warnAfterMs, log } = this.#deps;
    const waiting = new Set<string>();
    let next: number | undefined;
    for (const job of jobs) {
      const key = `${job.poolId ?? job.repoId}:${job.jobId}`;
      waiting.add(key);
      const waited = now - job.queuedAt;
      if (waited < warnAfterMs) {
        next = Math.min(next ?? Infinity, warnAfterMs - waited);
        continue;
      }
      if (this.#warned.has(key)) continue;
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
    for (const key of this.#warned) if (!waiting.has(key)) this.#warned.delete(key);
    return next;
  }
}
