import { couldRun, neededRuntimes, type EngineRoom, type Placement } from '../domain/placement.ts';
import { describeLack, runtimeLacks, runtimeStranded } from '../domain/runtime-refusals.ts';
import { fail, ok, skip, type CheckLine } from './check-line.ts';

const FIX =
  "register the runtime in the engine's daemon.json `runtimes` and restart dockerd, or drop runner_runtime / dind_runtime (docs/docker.md#isolation-tiers)";

/**
 * The OCI runtimes the pools name against those the engines offer, judged as the controller
 * judges them at start: one line per engine that lacks a runtime of a pool it could otherwise
 * run; a failure when no engine can ever run the pool (the controller would refuse to start), a
 * warning when other engines offer it. An engine that did not answer counts as the controller
 * counts it: it may offer the runtime when it does.
 */
export function runtimeChecks(
  pools: readonly (Placement & { id: string })[],
  rooms: readonly EngineRoom[],
): CheckLine[] {
  const stranded = new Set(runtimeStranded(pools, rooms).map((pool) => pool.id));
  const lines = runtimeLacks(pools, rooms).map((lack) =>
    stranded.has(lack.pool)
      ? fail('engine', describeLack(lack), FIX)
      : skip('engine', `warning: ${describeLack(lack)}; its runners go to the engines that do`),
  );
  for (const pool of pools) {
    const needed = neededRuntimes(pool);
    const offering = rooms.filter((room) => room.runtimes !== undefined && couldRun(room, pool));
    if (needed.length === 0 || stranded.has(pool.id) || offering.length === 0) continue;
    const engines = offering.map((room) => room.id).join(', ');
    lines.push(ok('engine', `pool ${pool.id}: ${needed.join(', ')} offered by ${engines}`));
  }
  return lines;
}
