import type { Logger } from 'pino';
import type { ScaleSetPoolConfig } from '../config/job-sources.ts';
import type { Registrar } from '../domain/registrar.ts';
import type { SourceOutage } from '../domain/source-outage.ts';
import type { JobIntake } from '../jobs/job-intake.ts';
import type { ActionsClient } from './actions-client.ts';
import { scaleSetJobEvents } from './book-batch.ts';
import type { ScaleSetStatistics } from './scale-set-events.ts';
import { scaleSetOutage } from './scale-set-outage.ts';
import { scaleSetRegistrar } from './scale-set-registrar.ts';
import type { ScaleSetHealth, ScaleSetSource } from './scale-set-source.ts';

export type ScaleSetPoolsDeps = {
  /** The pools whose job source is a scale set. */
  pools: readonly ScaleSetPoolConfig[];
  /** The scale-set source of a pool, and the Actions client of its repository. */
  source: (pool: ScaleSetPoolConfig) => ScaleSetSource;
  actions: (pool: ScaleSetPoolConfig) => Pick<ActionsClient, 'runnerByName' | 'removeRunner'>;
  log: Logger;
};

/**
 * The scale-set job sources of the controller: each pool's messages are booked (as webhooks
 * are) and its statistics reported as its demand, through the job intake; its runners register
 * and deregister in its scale set (its registrar).
 */
export class ScaleSetPools {
  readonly #pools: readonly ScaleSetPoolConfig[];
  readonly #sources = new Map<string, ScaleSetSource>();
  readonly #registrars = new Map<string, Registrar>();

  constructor(deps: ScaleSetPoolsDeps) {
    this.#pools = deps.pools;
    for (const pool of deps.pools) {
      const source = deps.source(pool);
      this.#sources.set(pool.id, source);
      this.#registrars.set(pool.id, scaleSetRegistrar(source, deps.actions(pool)));
    }
  }

  /** Each pool's registrar. */
  registrars(): ReadonlyMap<string, Registrar> {
    return this.#registrars;
  }

  start(intake: JobIntake): void {
    for (const pool of this.#pools) {
      // Demand is the statistics' count from the start (none before the first message).
      intake.reportWaiting(pool.id, 0);
      this.#sources.get(pool.id)?.start({
        batch: (batch) => {
          intake.book(scaleSetJobEvents(pool, batch));
          intake.reportWaiting(pool.id, waitingOf(batch.statistics));
        },
        maxCapacity: () => intake.capacity(pool.id),
      });
    }
  }

  /** Ends every session (GitHub then gives their jobs to whoever listens next). */
  async stop(): Promise<void> {
    await Promise.all([...this.#sources.values()].map((source) => source.stop()));
  }

  health(poolId: string): ScaleSetHealth | undefined {
    return this.#sources.get(poolId)?.health();
  }

  /** The pool's scale set, when it hears of no job now (a webhook pool's: never). */
  outage(poolId: string): SourceOutage | undefined {
    return scaleSetOutage(this.health(poolId));
  }
}

/**
 * Jobs assigned to the scale set and not yet running, from one statistics snapshot (never a
 * count of messages, which may be cut short). Both numbers come from the same message: set
 * against the controller's own count of busy runners, a snapshot a little old would ask for
 * runners for jobs that have already ended.
 */
function waitingOf(statistics: ScaleSetStatistics): number {
  return Math.max(0, statistics.totalAssignedJobs - statistics.totalRunningJobs);
}
