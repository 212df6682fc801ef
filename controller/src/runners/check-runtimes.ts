import type { Logger } from 'pino';
import type { PoolConfig } from '../config/config-types.ts';
import { neededRuntimes, type EngineRoom } from '../domain/placement.ts';
import { describeLack, runtimeLacks, runtimeStranded } from '../domain/runtime-refusals.ts';
import type { DockerEngine } from './docker-engine.ts';
import { readRuntimes } from './engine-runtimes.ts';
import { bounded } from './list-engine.ts';

/**
 * An engine as the start's runtime check sees it: the runtimes it told (undefined: it did not
 * answer), its configured platforms only (unknown ones count as a yes, as for placement).
 */
export function runtimeRoom(engine: DockerEngine, runtimes: string[] | undefined): EngineRoom {
  const { id, capacity, labels } = engine;
  return { id, capacity, labels, platforms: engine.platforms ?? [], runtimes };
}

/**
 * At start, before listening: the runtimes every engine offers against those the pools name.
 * An engine lacking a pool's runtime gets none of its runners (said here, and in /health); an
 * engine that does not answer is checked when it does. Throws, naming every pool and engine,
 * when a pool can never be run: each engine it could use answered, and none offers its runtime.
 */
export async function checkRuntimes(
  engines: readonly DockerEngine[],
  pools: readonly PoolConfig[],
  log: Logger,
  timeoutMs: number,
): Promise<void> {
  if (!pools.some((pool) => neededRuntimes(pool).length > 0)) return;
  const rooms = await Promise.all(
    engines.map(async (engine): Promise<EngineRoom> => {
      const runtimes = await bounded(
        readRuntimes(engine),
        timeoutMs,
        `docker engine ${engine.id} did not answer`,
      ).catch((error: unknown) => {
        log.warn(
          { engine: engine.id, err: error },
          'docker engine does not answer: its runtimes are checked when it does',
        );
        return undefined;
      });
      return runtimeRoom(engine, runtimes);
    }),
  );
  const lacks = runtimeLacks(pools, rooms);
  for (const lack of lacks)
    log.warn(
      { ...lack, problem: describeLack(lack) },
      'engine lacks a runtime: no runner of the pool goes there',
    );
  const stranded = new Set(runtimeStranded(pools, rooms).map((pool) => pool.id));
  if (stranded.size === 0) return;
  const lines = lacks.filter((lack) => stranded.has(lack.pool)).map(describeLack);
  throw new Error(`no engine offers the OCI runtime these pools need:\n  ${lines.join('\n  ')}`);
}
