import type { Job } from '../jobs/job-book.ts';
import type { RuntimeNeeds } from '../domain/placement.ts';
import type { PoolDemand } from './plan.ts';

type PoolLimits = {
  id: string;
  maxRunners: number;
  minIdleRunners: number;
  platform: string | undefined;
  engineLabels: Readonly<Record<string, string>>;
  runtimes?: RuntimeNeeds | undefined;
};

/** What each pool asks of the planner: its limits and its waiting jobs, oldest first. */
export function poolDemand(
  pools: readonly PoolLimits[],
  waitingOf: (poolId: string) => readonly Job[],
  blockedUntil: (poolId: string) => number,
  /** A pool whose demand is a count (a scale set's statistics) rather than its booked jobs. */
  waitingCount?: (poolId: string) => number | undefined,
): PoolDemand[] {
  return pools.map((pool) => {
    const waiting = waitingOf(pool.id);
    const count = waitingCount?.(pool.id);
    return {
      id: pool.id,
      maxRunners: pool.maxRunners,
      minIdleRunners: pool.minIdleRunners,
      platform: pool.platform,
      engineLabels: pool.engineLabels,
      runtimes: pool.runtimes,
      waitingJobs: count ?? waiting.length,
      oldestWaitingAt: waiting[0]?.queuedAt,
      blockedUntil: blockedUntil(pool.id),
    };
  });
}
