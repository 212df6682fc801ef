import { canRun, couldRun, neededRuntimes, type EngineRoom, type Placement } from './placement.ts';

/** An engine that does not offer a runtime a pool asks for: it gets no runner of that pool. */
export type RuntimeLack = {
  pool: string;
  setting: 'runner_runtime' | 'dind_runtime';
  runtime: string;
  engine: string;
  /** What the engine offers instead. */
  offered: readonly string[];
};

type Pool = Placement & { id: string };

/** The engines a pool could use but for its runtimes. */
const candidates = (pool: Pool, engines: readonly EngineRoom[]) =>
  engines.filter((engine) => couldRun(engine, { ...pool, runtimes: undefined }));

/** Each runtime of each pool that an engine it could otherwise use lacks (engines that told). */
export function runtimeLacks(
  pools: readonly Pool[],
  engines: readonly EngineRoom[],
): RuntimeLack[] {
  return pools.flatMap((pool) =>
    candidates(pool, engines).flatMap((engine) => {
      const offered = engine.runtimes;
      if (offered === undefined) return [];
      const wanted = [
        ['runner_runtime', pool.runtimes?.runner],
        ['dind_runtime', pool.runtimes?.dind],
      ] as const;
      return wanted.flatMap(([setting, runtime]) =>
        runtime === undefined || offered.includes(runtime)
          ? []
          : [{ pool: pool.id, setting, runtime, engine: engine.id, offered }],
      );
    }),
  );
}

/**
 * The pools that no engine can ever run for want of a runtime: every engine they could
 * otherwise use has told its runtimes, and none offers all of theirs. An engine that has not
 * told (down at start) may still: such a pool waits for it.
 */
export function runtimeStranded<P extends Pool>(
  pools: readonly P[],
  engines: readonly EngineRoom[],
): P[] {
  return pools.filter((pool) => {
    if (neededRuntimes(pool).length === 0) return false;
    const usable = candidates(pool, engines);
    return (
      usable.length > 0 &&
      usable.every((engine) => engine.runtimes !== undefined && !canRun(engine, pool))
    );
  });
}

export function describeLack(lack: RuntimeLack): string {
  const offered = lack.offered.length > 0 ? lack.offered.join(', ') : 'none';
  return `pool ${lack.pool}: ${lack.setting} "${lack.runtime}" is not offered by engine ${lack.engine} (it offers: ${offered})`;
}
