import type { Logger } from 'pino';
import type { PoolConfig } from '../config/config-types.ts';
import type { JitConfig } from '../github/runner-api.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { ActionsClient } from './actions-client.ts';
import { scaleSetJobEvents } from './book-batch.ts';
import type { ScaleSetStatistics } from './scale-set-events.ts';
import type { ScaleSetHealth, ScaleSetSource } from './scale-set-source.ts';

export type ScaleSetPoolsDeps = {
  /** The pools whose job source is a scale set. */
  pools: readonly PoolConfig[];
  /** The scale-set source of a pool, and the Actions client of its repository. */
  source: (pool: PoolConfig) => ScaleSetSource;
  actions: (pool: PoolConfig) => ActionsClient;
  jobs: JobBook;
  /** A scale set's messages changed the book: look again. */
  onChange: () => void;
  log: Logger;
};

/**
 * The scale-set job sources of the controller: their messages are booked into the job book
 * (as webhooks are), their statistics give each pool its demand, and their runners register
 * and deregister through the Actions service instead of the REST API.
 */
export class ScaleSetPools {
  readonly #deps: ScaleSetPoolsDeps;
  readonly #sources = new Map<string, ScaleSetSource>();
  readonly #statistics = new Map<string, ScaleSetStatistics>();
  readonly #runnerIds = new Map<string, number>();

  constructor(deps: ScaleSetPoolsDeps) {
    this.#deps = deps;
    for (const pool of deps.pools) this.#sources.set(pool.id, deps.source(pool));
  }

  has(poolId: string): boolean {
    return this.#sources.has(poolId);
  }

  start(): void {
    for (const pool of this.#deps.pools) {
      this.#sources.get(pool.id)?.start((batch) => {
        for (const event of scaleSetJobEvents(pool, batch)) this.#deps.jobs.apply(event);
        this.#statistics.set(pool.id, batch.statistics);
        this.#deps.onChange();
      });
    }
  }

  /** Ends every session (GitHub then gives their jobs to whoever listens next). */
  async stop(): Promise<void> {
    await Promise.all([...this.#sources.values()].map((source) => source.stop()));
  }

  /**
   * Jobs assigned to the pool's scale set and not yet running, from one statistics snapshot
   * (never a count of messages, which may be cut short). Both numbers come from the same
   * message: set against the controller's own count of busy runners, a snapshot a little old
   * would ask for runners for jobs that have already ended.
   */
  waiting(poolId: string): number {
    const statistics = this.#statistics.get(poolId);
    return statistics ? Math.max(0, statistics.totalAssignedJobs - statistics.totalRunningJobs) : 0;
  }

  statistics(poolId: string): ScaleSetStatistics | undefined {
    return this.#statistics.get(poolId);
  }

  health(poolId: string): ScaleSetHealth | undefined {
    return this.#sources.get(poolId)?.health();
  }

  async jitConfig(pool: PoolConfig, name: string): Promise<JitConfig> {
    const source = this.#sources.get(pool.id);
    if (!source) throw new Error(`pool ${pool.id} has no scale set`);
    const config = await source.jitConfig(name);
    this.#runnerIds.set(name, config.runnerId);
    return { runnerId: config.runnerId, encodedJitConfig: config.encodedJitConfig };
  }

  /** Deregisters a runner of the scale set; `busy` when it runs a job (the service keeps it). */
  async deregister(
    pool: PoolConfig,
    name: string,
    knownId: number | undefined,
  ): Promise<'removed' | 'busy'> {
    const actions = this.#deps.actions(pool);
    const id = knownId ?? this.#runnerIds.get(name) ?? (await actions.runnerByName(name))?.id;
    if (id === undefined) return 'removed';
    const result = await actions.removeRunner(id);
    if (result === 'removed') this.#runnerIds.delete(name);
    return result;
  }
}
