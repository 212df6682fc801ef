/** An engine that answers, as the planner sees it. */
export type EngineRoom = {
  id: string;
  capacity: number;
  /** Platforms it can run (`linux/amd64`, ...), its own and emulated ones. */
  platforms: readonly string[];
  labels: Readonly<Record<string, string>>;
};

/** What a pool asks of an engine. */
export type Placement = {
  /** The platform its runners need; undefined: whatever the engine runs natively. */
  platform: string | undefined;
  /** The engine must carry all of these labels. */
  engineLabels: Readonly<Record<string, string>>;
};

/** Whether an engine can run a pool's runners at all (room aside). */
export function canRun(engine: EngineRoom, pool: Placement): boolean {
  if (pool.platform !== undefined && !engine.platforms.includes(pool.platform)) return false;
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
 * The pools that no engine can run: none has their platform (once the engines' platforms are
 * known) or the labels they are pinned to.
 */
export function unplaceable<P extends Placement & { id: string }>(
  pools: readonly P[],
  engines: readonly EngineRoom[],
): P[] {
  if (engines.some((engine) => engine.platforms.length === 0)) {
    return pools.filter(
      (pool) => pool.platform === undefined && !engines.some((engine) => canRun(engine, pool)),
    );
  }
  return pools.filter((pool) => !engines.some((engine) => canRun(engine, pool)));
}
