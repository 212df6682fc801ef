import { createHash } from 'node:crypto';
import type { PoolConfig } from '../config/config-types.ts';
import { LABELS } from './container-labels.ts';
import type { DockerEngine } from './docker-engine.ts';
import { ownFilter } from './list-engine.ts';

export const CACHE_ROLE = 'cache';

/** What a pool keeps on each engine: how many cache volumes, and how large one may stay. */
export type CacheSettings = { volumes: number; maxBytes: number };
/** The pools that keep a build cache, by pool id. */
export type CachePlan = ReadonlyMap<string, CacheSettings>;

/** The dind pools that opted in (`dind_cache_volumes` above 0). */
export function cachePlanOf(pools: readonly PoolConfig[]): CachePlan {
  return new Map(
    pools
      .filter((pool) => pool.dockerMode === 'dind' && pool.dind.cacheVolumes > 0)
      .map((pool) => [
        pool.id,
        { volumes: pool.dind.cacheVolumes, maxBytes: pool.dind.cacheMaxBytes },
      ]),
  );
}

/**
 * A pool's volume for one slot: readable, and unique per pool even where two pool ids read the
 * same once `/` is replaced (the hash of the id tells them apart).
 */
export function cacheVolumeName(controllerId: string, poolId: string, slot: number): string {
  const readable = poolId.replace(/[^A-Za-z0-9_.-]/g, '_');
  const hash = createHash('sha256').update(poolId).digest('hex').slice(0, 8);
  return `${controllerId}-cache-${readable}-${hash}-${slot}`;
}

/**
 * Exclusive leases of a pool's cache volumes, with no record of their own: a volume named by the
 * cache-volume label of any container of this controller on the engine, running or not, is
 * leased (so a restarted controller knows them from its listing). Between reading that listing
 * and the container that carries the label, and while a returned volume is cleaned, this
 * process holds the volume itself, so two spawns of one pass never pick the same.
 */
export class CacheLeases {
  readonly #controllerId: string;
  readonly #held = new Set<string>();

  constructor(controllerId: string) {
    this.#controllerId = controllerId;
  }

  /**
   * A free volume among the pool's first `slots` on the engine, made if it does not exist yet,
   * and held until `release`; undefined when every one is leased (the runner then gets a
   * volume of its own, removed with it: a job never waits for a cache).
   */
  async lease(
    engine: DockerEngine,
    pool: Pick<PoolConfig, 'id' | 'repoId'>,
    slots: number,
  ): Promise<string | undefined> {
    const leased = await leasedVolumes(engine, this.#controllerId);
    for (let slot = 0; slot < slots; slot += 1) {
      const name = cacheVolumeName(this.#controllerId, pool.id, slot);
      if (leased.has(name) || !this.hold(engine.id, name)) continue;
      try {
        // Creating a volume that exists already returns it: a kept cache is used again.
        await engine.docker.createVolume({
          Name: name,
          Labels: {
            [LABELS.controller]: this.#controllerId,
            [LABELS.repo]: pool.repoId,
            [LABELS.pool]: pool.id,
            [LABELS.role]: CACHE_ROLE,
            [LABELS.engine]: engine.id,
            [LABELS.cacheSlot]: String(slot),
          },
        });
      } catch (error) {
        this.release(engine.id, name);
        throw error;
      }
      return name;
    }
    return undefined;
  }

  /** Holds a volume; false when this process holds it already. */
  hold(engineId: string, name: string): boolean {
    const key = `${engineId} ${name}`;
    if (this.#held.has(key)) return false;
    this.#held.add(key);
    return true;
  }

  release(engineId: string, name: string): void {
    this.#held.delete(`${engineId} ${name}`);
  }

  isHeld(engineId: string, name: string): boolean {
    return this.#held.has(`${engineId} ${name}`);
  }
}

/** The cache volumes named by this controller's containers on an engine, in any state. */
export async function leasedVolumes(
  engine: DockerEngine,
  controllerId: string,
): Promise<Set<string>> {
  const containers = await engine.docker.listContainers({
    all: true,
    filters: ownFilter(controllerId),
  });
  return new Set(
    containers.flatMap((info) => {
      const name = info.Labels[LABELS.cacheVolume];
      return name ? [name] : [];
    }),
  );
}
