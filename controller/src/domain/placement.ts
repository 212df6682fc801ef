/** An engine that answers, as the planner sees it. */
export type EngineRoom = {
  id: string;
  capacity: number;
  /** Platforms it can run (`linux/amd64`, ...), its own and emulated ones. */
  platforms: readonly string[];
  labels: Readonly<Record<string, string>>;
  /** The OCI runtimes it offers (`docker info`'s Runtimes); undefined: not known yet. */
  runtimes?: readonly string[] | undefined;
};

/** The OCI runtimes a pool's containers ask for, by the setting that names them. */
export type RuntimeNeeds = Readonly<{ runner: string | undefined; dind: string | undefined }>;

/** What a pool asks of an engine. */
export type Placement = {
  /** The platform its runners need; undefined: whatever the engine runs natively. */
  platform: string | undefined;
  /** The engine must carry all of these labels. */
  engineLabels: Readonly<Record<string, string>>;
  /** Runtimes its runner and sidecar need; unset ones: the engine's default, always there. */
  runtimes?: RuntimeNeeds | undefined;
};

/** The runtimes a pool needs that the engine does not offer (none while they are not known). */
export function lackedRuntimes(engine: EngineRoom, pool: Placement): string[] {
  if (engine.runtimes === undefined) return [];
  const offered = engine.runtimes;
  return neededRuntimes(pool).filter((runtime) => !offered.includes(runtime));
}

export function neededRuntimes(pool: Placement): string[] {
  const { runner, dind } = pool.runtimes ?? { runner: undefined, dind: undefined };
  return [...new Set([runner, dind].filter((name) => name !== undefined))];
}

/** Whether an engine can run a pool's runners at all (room aside), by what it has told. */
export function canRun(engine: EngineRoom, pool: Placement): boolean {
  return fits(engine, pool, false);
}

/** Whether it could, once it tells what it has not yet (its platforms, its runtimes). */
export function couldRun(engine: EngineRoom, pool: Placement): boolean {
  return fits(engine, pool, true);
}

function fits(engine: EngineRoom, pool: Placement, unknown: boolean): boolean {
  const platformsKnown = engine.platforms.length > 0;
  if (
    pool.platform !== undefined &&
    !engine.platforms.includes(pool.platform) &&
    !(unknown && !platformsKnown)
  )
    return false;
  if (neededRuntimes(pool).length > 0 && engine.runtimes === undefined && !unknown) return false;
  if (lackedRuntimes(engine, pool).length > 0) return false;
  return Object.entries(pool.engineLabels).every(([key, value]) => engine.labels[key] === value);
}

/**
 * The engine a new runner of the pool goes to: of those that can run it and have room, the
 * least loaded (the lowest share of its capacity in use); ties go to the first listed.
 */
export function place(
  pool: Placement,
  engines: readonly EngineRoom[],
  used: ReadonlyMap<string, number>,
): string | undefined {
  let best: string | undefined;
  let bestLoad = Infinity;
  for (const engine of engines) {
    const inUse = used.get(engine.id) ?? 0;
    if (inUse >= engine.capacity || !canRun(engine, pool)) continue;
    const load = inUse / engine.capacity;
    if (load < bestLoad) [best, bestLoad] = [engine.id, load];
  }
  return best;
}

/**
 * The pools that no engine can run: none has their platform, the runtimes they need or the
 * labels they are pinned to. What an engine has not told yet (its platforms, its runtimes)
 * counts as a yes: a pool is refused only for what is known.
 */
export function unplaceable<P extends Placement & { id: string }>(
  pools: readonly P[],
  engines: readonly EngineRoom[],
): P[] {
  return pools.filter((pool) => !engines.some((engine) => couldRun(engine, pool)));
}
