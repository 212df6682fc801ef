import type { PoolConfig } from '../config/config-types.ts';
import type { RegisteredRunner } from '../domain/registrar.ts';
import type { StrayRegistration } from './plan.ts';
import { isRunnerName } from './runner-name.ts';
import { staleRunners } from './stale-runners.ts';

/**
 * GitHub's view of each entry's runners, as the runner resync last read it: the names it reports
 * busy (a restarted controller learns from them what not to stop), and the registrations of this
 * controller left offline without a container, for the planner to deregister.
 */
export class RegisteredRunners {
  readonly #pools: readonly PoolConfig[];
  readonly #busy = new Map<string, ReadonlySet<string>>();
  /** Offline registrations without a container at the last reading, per entry. */
  readonly #candidates = new Map<string, ReadonlySet<string>>();
  readonly #strays = new Map<string, StrayRegistration>();

  constructor(pools: readonly PoolConfig[]) {
    this.#pools = pools;
  }

  /** A new reading of an entry's runners; `hasRunner` says whether a runner has a container. */
  note(
    repoId: string,
    runners: readonly RegisteredRunner[],
    hasRunner: (name: string) => boolean,
  ): void {
    this.#busy.set(repoId, new Set(runners.filter((r) => r.busy).map((r) => r.name)));
    const pools = this.#pools.filter((pool) => pool.repoId === repoId);
    const { stale, candidates } = staleRunners(
      runners,
      [...new Set(pools.map((pool) => pool.runnerNamePrefix))],
      hasRunner,
      this.#candidates.get(repoId) ?? new Set(),
    );
    this.#candidates.set(repoId, candidates);
    for (const runner of stale) {
      const pool = pools.find((p) => isRunnerName(runner.name, p.runnerNamePrefix));
      if (pool)
        this.#strays.set(runner.name, { name: runner.name, poolId: pool.id, runnerId: runner.id });
    }
  }

  /** Every name GitHub reports busy, of every entry. */
  busy(): string[] {
    return [...this.#busy.values()].flatMap((names) => [...names]);
  }

  strays(): StrayRegistration[] {
    return [...this.#strays.values()];
  }

  /** The planner has decided on a stray: it is not offered again until read again. */
  settled(name: string): void {
    this.#strays.delete(name);
  }
}
