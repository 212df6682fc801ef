import type { PoolConfig } from '../config/config-types.ts';
import type { ObservedRunner } from './plan.ts';
import { canRun, type EngineRoom } from '../domain/placement.ts';

/**
 * How many jobs a pool can hold now: its runners that work or can take a job, plus those it
 * could start within its cap, the global cap and the room of the engines that can run it (a
 * scale set is offered no more than this, in X-ScaleSetMaxCapacity).
 */
export function poolCapacity(
  pool: Pick<PoolConfig, 'id' | 'maxRunners' | 'platform' | 'engineLabels'>,
  runners: readonly ObservedRunner[],
  engines: readonly (EngineRoom & { up: boolean })[],
  maxRunners: number,
): number {
  const own = runners.filter((runner) => runner.poolId === pool.id);
  const serving = own.filter(
    (r) => r.phase === 'busy' || r.phase === 'idle' || r.phase === 'starting',
  ).length;
  const used = new Map<string, number>();
  for (const runner of runners) used.set(runner.engineId, (used.get(runner.engineId) ?? 0) + 1);
  const engineRoom = engines
    .filter((engine) => engine.up && canRun(engine, pool))
    .reduce((sum, engine) => sum + Math.max(0, engine.capacity - (used.get(engine.id) ?? 0)), 0);
  const room = Math.min(pool.maxRunners - own.length, maxRunners - runners.length, engineRoom);
  return serving + Math.max(0, room);
}
