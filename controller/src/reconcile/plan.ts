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
 * not, counts against the caps until it is removed. Global room goes to waiting jobs first
 * (oldest first), then to warm runners; when the global cap keeps a waiting job from a runner,
 * warm idle runners of other pools make room for it.
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

  const jobWant = new Map<string, number>();
  const warmWant = new Map<string, number>();
  const warmOnly: ObservedRunner[] = [];
  const retiring = new Set<string>();
  for (const pool of input.pools) {
    const runners = byPool.get(pool.id) ?? [];
    const busy = runners.filter((r) => r.phase === 'busy').length;
    const available = runners.filter((r) => r.phase === 'starting' || r.phase === 'idle');
    const room = Math.max(0, pool.maxRunners - busy);
    const jobTarget = Math.min(pool.waitingJobs, room);
    const target = Math.min(pool.waitingJobs + pool.minIdleRunners, room);
    const poolRoom = pool.maxRunners - runners.length;
    const forJobs = Math.min(jobTarget - available.length, poolRoom);
    const forWarmth = Math.min(
      target - Math.max(available.length, jobTarget),
      poolRoom - Math.max(0, forJobs),
    );
    if (pool.blockedUntil <= input.now) {
      if (forJobs > 0) jobWant.set(pool.id, forJobs);
      if (forWarmth > 0) warmWant.set(pool.id, forWarmth);
    }
    if (available.length > target) {
      for (const action of retire(pool.id, available, available.length - target, input)) {
        retiring.add(action.name);
        actions.push(action);
      }
    }
    if (available.length > jobTarget) {
      warmOnly.push(
        ...available.filter((r) => r.phase === 'idle').slice(0, available.length - jobTarget),
      );
    }
  }

  const byAge = (a: PoolDemand, b: PoolDemand) =>
    (a.oldestWaitingAt ?? Infinity) - (b.oldestWaitingAt ?? Infinity);
  const order = [...input.pools].sort(byAge);
  const roomAfterJobs = allocate(order, jobWant, input.maxRunners - input.runners.length, actions);
  allocate(order, warmWant, roomAfterJobs, actions);

  const starved = [...jobWant.values()].reduce((sum, left) => sum + left, 0);
  const makeRoom = warmOnly.filter((r) => !retiring.has(r.name)).sort((a, b) => a.since - b.since);
  for (const runner of makeRoom.slice(0, starved)) {
    actions.push({ kind: 'retire', name: runner.name, poolId: runner.poolId });
  }
  return actions;
}

/** Hands out global room one runner at a time, round-robin over the pools in order. */
function allocate(
  order: PoolDemand[],
  want: Map<string, number>,
  room: number,
  actions: Action[],
): number {
  let left = room;
  let pending = order.filter((pool) => (want.get(pool.id) ?? 0) > 0);
  while (left > 0 && pending.length > 0) {
    for (const pool of pending) {
      if (left <= 0) break;
      actions.push({ kind: 'spawn', poolId: pool.id });
      left -= 1;
      want.set(pool.id, (want.get(pool.id) ?? 0) - 1);
    }
    pending = pending.filter((pool) => (want.get(pool.id) ?? 0) > 0);
  }
  return left;
}

type RetireAction = Extract<Action, { kind: 'retire' }>;

function retire(
  poolId: string,
  available: ObservedRunner[],
  surplus: number,
  input: PlanInput,
): RetireAction[] {
  return available
    .filter((r) => r.phase === 'idle' && input.now - r.since >= input.idleTimeoutMs)
    .sort((a, b) => a.since - b.since)
    .slice(0, surplus)
    .map((r): RetireAction => ({ kind: 'retire', name: r.name, poolId }));
}
