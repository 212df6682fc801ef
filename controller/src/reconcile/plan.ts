export type RunnerPhase = 'starting' | 'idle' | 'busy' | 'exited';

export type ObservedRunner = {
  name: string;
  poolId: string;
  phase: RunnerPhase;
  /** When the runner was created, or when it last became idle. */
  since: number;
};

export type PoolDemand = {
  id: string;
  maxRunners: number;
  minIdleRunners: number;
  waitingJobs: number;
  /** Queue time of the oldest waiting job; pools with older work get free capacity first. */
  oldestWaitingAt: number | undefined;
  /** Spawning is paused (after failures) until this time. */
  blockedUntil: number;
};

export type PlanInput = {
  now: number;
  maxRunners: number;
  idleTimeoutMs: number;
  pools: PoolDemand[];
  runners: ObservedRunner[];
};

export type Action =
  | { kind: 'spawn'; poolId: string }
  | { kind: 'cleanup'; name: string; poolId: string }
  | { kind: 'retire'; name: string; poolId: string };

/**
 * Decides what to change, from what is wanted and what exists. Per pool, starting + idle
 * runners are kept at min(waiting + warm, cap - busy); every existing container, exited or
 * not, counts against the caps until it is removed.
 */
export function plan(input: PlanInput): Action[] {
  const actions: Action[] = [];
  const byPool = new Map<string, ObservedRunner[]>();
  for (const runner of input.runners) {
    if (runner.phase === 'exited')
      actions.push({ kind: 'cleanup', name: runner.name, poolId: runner.poolId });
    const list = byPool.get(runner.poolId) ?? [];
    list.push(runner);
    byPool.set(runner.poolId, list);
  }

  let globalRoom = input.maxRunners - input.runners.length;
  const shortfalls = new Map<string, number>();
  for (const pool of input.pools) {
    const runners = byPool.get(pool.id) ?? [];
    const busy = runners.filter((r) => r.phase === 'busy').length;
    const available = runners.filter((r) => r.phase === 'starting' || r.phase === 'idle');
    const target = Math.max(
      0,
      Math.min(pool.waitingJobs + pool.minIdleRunners, pool.maxRunners - busy),
    );
    const poolRoom = pool.maxRunners - runners.length;
    const want = Math.min(target - available.length, poolRoom);
    if (want > 0 && pool.blockedUntil <= input.now) shortfalls.set(pool.id, want);
    if (available.length > target)
      actions.push(...retire(pool.id, available, available.length - target, input));
  }

  const order = input.pools
    .filter((pool) => shortfalls.has(pool.id))
    .sort((a, b) => (a.oldestWaitingAt ?? Infinity) - (b.oldestWaitingAt ?? Infinity));
  while (globalRoom > 0 && order.length > 0) {
    for (const pool of [...order]) {
      if (globalRoom <= 0) break;
      const left = shortfalls.get(pool.id) ?? 0;
      actions.push({ kind: 'spawn', poolId: pool.id });
      globalRoom -= 1;
      if (left <= 1) order.splice(order.indexOf(pool), 1);
      else shortfalls.set(pool.id, left - 1);
    }
  }
  return actions;
}

function retire(
  poolId: string,
  available: ObservedRunner[],
  surplus: number,
  input: PlanInput,
): Action[] {
  return available
    .filter((r) => r.phase === 'idle' && input.now - r.since >= input.idleTimeoutMs)
    .sort((a, b) => a.since - b.since)
    .slice(0, surplus)
    .map((r) => ({ kind: 'retire', name: r.name, poolId }));
}
