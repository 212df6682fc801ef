import { canRun, place, type EngineRoom, type Placement } from '../domain/placement.ts';

/**
 * `unreachable`: a container last seen on an engine that no longer answers. It may still run,
 * so it counts against the caps, but it is no runner a job can count on.
 */
export type RunnerPhase = 'starting' | 'idle' | 'busy' | 'exited' | 'unreachable';

export type ObservedRunner = {
  name: string;
  poolId: string;
  /** The engine it runs on ('' when unknown). */
  engineId: string;
  phase: RunnerPhase;
  /** When the runner was created, or when it last became idle. */
  since: number;
};

export type PoolDemand = Placement & {
  id: string;
  maxRunners: number;
  minIdleRunners: number;
  waitingJobs: number;
  /** Queue time of the oldest waiting job; pools with older work get free capacity first. */
  oldestWaitingAt: number | undefined;
  /** Spawning is paused (after failures) until this time. */
  blockedUntil: number;
};

/**
 * A registration this controller made that GitHub lists offline, with no container found for it,
 * twice in a row (staleRunners): left by a crash or a failed start.
 */
export type StrayRegistration = { name: string; poolId: string; runnerId: number };

export type PlanInput = {
  now: number;
  maxRunners: number;
  idleTimeoutMs: number;
  pools: PoolDemand[];
  runners: ObservedRunner[];
  /** The engines that answer now, with their capacity; runners go only where there is room. */
  engines: EngineRoom[];
  strays?: readonly StrayRegistration[];
};

export type Action =
  | { kind: 'spawn'; poolId: string; engineId: string }
  | { kind: 'cleanup'; name: string; poolId: string }
  | { kind: 'retire'; name: string; poolId: string }
  | { kind: 'deregister'; name: string; poolId: string; runnerId: number };

/**
 * Decides what to change, from what is wanted and what exists. Per pool, starting + idle
 * runners are kept at min(waiting + warm, cap - busy); every existing container, exited or
 * not (or out of reach), counts against the caps until it is removed. Global room goes to
 * waiting jobs first (oldest first), then to warm runners; each new runner goes to the least
 * loaded engine that has room and can run its pool. When a waiting job finds no room, warm
 * idle runners of other pools on engines it could use make room for it. A stray registration is
 * deregistered unless a runner of its name has turned up since.
 */
export function plan(input: PlanInput): Action[] {
  const actions: Action[] = deregistrations(input);
  const byPool = new Map<string, ObservedRunner[]>();
  const used = new Map<string, number>();
  for (const runner of input.runners) {
    if (runner.phase === 'exited')
      actions.push({ kind: 'cleanup', name: runner.name, poolId: runner.poolId });
    const list = byPool.get(runner.poolId) ?? [];
    list.push(runner);
    byPool.set(runner.poolId, list);
    used.set(runner.engineId, (used.get(runner.engineId) ?? 0) + 1);
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
  const room = { left: input.maxRunners - input.runners.length, used };
  allocate(order, jobWant, room, input.engines, actions);
  allocate(order, warmWant, room, input.engines, actions);

  // Warm runners give way to jobs that found no room, where such a job could run instead.
  const makeRoom = warmOnly.filter((r) => !retiring.has(r.name)).sort((a, b) => a.since - b.since);
  for (const pool of order) {
    let starved = jobWant.get(pool.id) ?? 0;
    if (starved <= 0) continue;
    const usable = input.engines.filter((e) => canRun(e, pool));
    // An engine it could use has room: the global cap holds it back, and any warm runner's
    // retirement frees global room. Else only one on an engine it could use makes room.
    const globalOnly = usable.some((e) => (room.used.get(e.id) ?? 0) < e.capacity);
    const helps = new Set(usable.map((e) => e.id));
    for (const runner of makeRoom) {
      if (starved <= 0) break;
      if (retiring.has(runner.name) || (!globalOnly && !helps.has(runner.engineId))) continue;
      retiring.add(runner.name);
      actions.push({ kind: 'retire', name: runner.name, poolId: runner.poolId });
      starved -= 1;
    }
  }
  return actions;
}

/**
 * Hands out room one runner at a time, round-robin over the pools in order; a pool that no
 * engine can take now stops asking in this pass.
 */
function allocate(
  order: PoolDemand[],
  want: Map<string, number>,
  room: { left: number; used: Map<string, number> },
  engines: readonly EngineRoom[],
  actions: Action[],
): void {
  let pending = order.filter((pool) => (want.get(pool.id) ?? 0) > 0);
  while (room.left > 0 && pending.length > 0) {
    for (const pool of pending) {
      if (room.left <= 0) break;
      const engine = place(pool, engines, room.used);
      if (engine === undefined) continue;
      actions.push({ kind: 'spawn', poolId: pool.id, engineId: engine });
      room.used.set(engine, (room.used.get(engine) ?? 0) + 1);
      room.left -= 1;
      want.set(pool.id, (want.get(pool.id) ?? 0) - 1);
    }
    pending = pending.filter(
      (pool) => (want.get(pool.id) ?? 0) > 0 && place(pool, engines, room.used) !== undefined,
    );
  }
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

function deregistrations(input: PlanInput): Action[] {
  const names = new Set(input.runners.map((runner) => runner.name));
  return (input.strays ?? [])
    .filter((stray) => !names.has(stray.name))
    .map((stray) => ({ kind: 'deregister', ...stray }));
}
