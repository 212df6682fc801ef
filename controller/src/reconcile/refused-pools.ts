import type { Logger } from 'pino';
import type { PoolConfig } from '../config/config-types.ts';
import type { EngineStatus } from '../runners/runtime.ts';
import { unplaceable } from '../domain/placement.ts';

/** The pools no engine can run (their platform, or the engine labels they are pinned to). */
export class RefusedPools {
  #refused: ReadonlySet<string> = new Set();

  get(): ReadonlySet<string> {
    return this.#refused;
  }

  /** Reads the engines again; says once when a pool becomes refused, and when it no longer is. */
  note(pools: readonly PoolConfig[], engines: readonly EngineStatus[], log: Logger): void {
    const refused = new Set(unplaceable(pools, engines).map((pool) => pool.id));
    for (const pool of pools) {
      if (refused.has(pool.id) && !this.#refused.has(pool.id)) {
        log.warn(
          {
            pool: pool.id,
            platform: pool.platform,
            engineLabels: pool.engineLabels,
            runtimes: pool.runtimes,
            engines: engines.map((e) => ({
              name: e.id,
              platforms: e.platforms,
              labels: e.labels,
              runtimes: e.runtimes,
            })),
          },
          'pool refused: no engine can run it',
        );
      } else if (!refused.has(pool.id) && this.#refused.has(pool.id)) {
        log.info({ pool: pool.id }, 'pool can be served again');
      }
    }
    this.#refused = refused;
  }
}
