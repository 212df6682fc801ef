import type { PoolDemand } from './plan.ts';
import type { RunnerView } from './observe-runners.ts';

/**
 * When the reconciler must look again without being asked (delays in ms from `now`): when a
 * pool's pause ends, for its waiting jobs or its warm pool, and shortly after the longest idle
 * runner's timeout ends, when it may be surplus to retire.
 */
export function passWakes(
  demand: readonly PoolDemand[],
  views: readonly RunnerView[],
  idleTimeoutMs: number,
  now: number,
): number[] {
  const paused = demand
    .filter((pool) => pool.blockedUntil > now && pool.waitingJobs + pool.minIdleRunners > 0)
    .map((pool) => pool.blockedUntil - now);
  const idleSince = views.filter((view) => view.phase === 'idle').map((view) => view.since);
  const idle =
    idleSince.length > 0 ? [Math.max(0, Math.min(...idleSince) + idleTimeoutMs - now) + 100] : [];
  return [...paused, ...idle];
}
