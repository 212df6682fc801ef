import { canRun, couldRun } from '../domain/placement.ts';
import type { ObservedRunner } from './plan.ts';
import type { PoolFailure } from './pool-health.ts';
import type {
  JobWait,
  PoolWaitFacts,
  WaitCount,
  WaitFacts,
  WaitReason,
  WaitReasonName,
  WaitReport,
} from './wait-types.ts';

/**
 * Why each waiting job waits, from what one reconciler pass knows (pure: no call to Docker or
 * GitHub). Every job of a pool whose source is down waits for it (what the controller knows of
 * such a pool may be old), and of a pool no engine can run, for an engine. Otherwise the pool's
 * jobs, oldest first, are covered by its starting and idle runners and by those this pass
 * starts (a runner labelled with a job covers that one first): a covered job waits for GitHub
 * to hand it to a runner. An uncovered one waits for the first of: its engines being down, a
 * failure being backed off, the pool's cap, MAX_RUNNERS, room on an engine; those that fit in
 * the room left get their runner at the next pass.
 */
export function waitReasons(facts: WaitFacts): WaitReport {
  const room = roomAfterPlan(facts);
  const jobs: JobWait[] = [];
  const counts: WaitCount[] = [];
  for (const pool of facts.pools) {
    const slots = Math.max(pool.count, pool.waiting.length);
    const reasons = slotReasons(pool, facts, room, slots);
    const tally = new Map<WaitReasonName, { jobs: number; oldest: number | undefined }>();
    for (let slot = 0; slot < slots; slot += 1) {
      const why = reasons[slot] ?? { reason: 'pending', counted: undefined };
      const job = pool.waiting[slot];
      if (job) {
        const { id: jobId, repository, queuedAt } = job;
        jobs.push({ repoId: pool.repoId, poolId: pool.id, jobId, repository, queuedAt, why });
      }
      if (slot >= pool.count) continue;
      const entry = tally.get(why.reason) ?? { jobs: 0, oldest: undefined };
      entry.jobs += 1;
      if (job) entry.oldest = Math.min(entry.oldest ?? Infinity, job.queuedAt);
      tally.set(why.reason, entry);
    }
    for (const [reason, { jobs: n, oldest }] of tally)
      counts.push({
        repoId: pool.repoId,
        poolId: pool.id,
        reason,
        jobs: n,
        oldestQueuedAt: oldest,
      });
  }
  for (const job of facts.unserved) {
    const why: WaitReason = { reason: 'no-pool', labels: job.labels, pools: job.pools };
    const { repoId, jobId, repository, at: queuedAt } = job;
    jobs.push({ repoId, poolId: undefined, jobId, repository, queuedAt, why });
    const count = counts.find((c) => c.repoId === job.repoId && c.reason === 'no-pool');
    if (count) {
      count.jobs += 1;
      count.oldestQueuedAt = Math.min(count.oldestQueuedAt ?? Infinity, job.at);
    } else
      counts.push({
        repoId: job.repoId,
        poolId: '',
        reason: 'no-pool',
        jobs: 1,
        oldestQueuedAt: job.at,
      });
  }
  jobs.sort((a, b) => a.queuedAt - b.queuedAt);
  return { jobs, counts };
}

type Room = {
  /** Containers per engine, with this pass's starts. */
  used: Map<string, number>;
  /** Containers in all, with this pass's starts. */
  total: number;
};

function roomAfterPlan(facts: WaitFacts): Room {
  const used = new Map<string, number>();
  for (const { engineId } of [...facts.runners, ...facts.spawns])
    used.set(engineId, (used.get(engineId) ?? 0) + 1);
  return { used, total: facts.runners.length + facts.spawns.length };
}

type Cover = Extract<WaitReason, { reason: 'runner-started' }>;

/** The runner covering each slot (job) of the pool, if any. */
function covers(pool: PoolWaitFacts, facts: WaitFacts, slots: number): (Cover | undefined)[] {
  const bySlot: (Cover | undefined)[] = Array.from({ length: slots }, () => undefined);
  const slotOf = new Map(pool.waiting.map((job, slot) => [job.id, slot]));
  const free: Cover[] = [];
  const available = facts.runners
    .filter((r) => r.poolId === pool.id && (r.phase === 'starting' || r.phase === 'idle'))
    .sort((a, b) => a.since - b.since);
  for (const runner of available) {
    const cover: Cover = {
      reason: 'runner-started',
      runner: runner.name,
      engine: runner.engineId,
      phase: runner.phase === 'idle' ? 'idle' : 'starting',
      since: runner.since,
    };
    const slot = runner.jobId === undefined ? undefined : slotOf.get(runner.jobId);
    if (slot !== undefined && bySlot[slot] === undefined) bySlot[slot] = cover;
    else free.push(cover);
  }
  for (const spawn of facts.spawns.filter((s) => s.poolId === pool.id)) {
    free.push({
      reason: 'runner-started',
      runner: undefined,
      engine: spawn.engineId,
      phase: 'starting',
      since: facts.now,
    });
  }
  for (let slot = 0; slot < slots && free.length > 0; slot += 1)
    if (bySlot[slot] === undefined) bySlot[slot] = free.shift();
  return bySlot;
}

/** The reason of each slot (the pool's jobs oldest first, then those only counted). */
function slotReasons(
  pool: PoolWaitFacts,
  facts: WaitFacts,
  room: Room,
  slots: number,
): WaitReason[] {
  const covered = covers(pool, facts, slots);
  const next = uncoveredReasons(pool, facts, room);
  const refused = once(() => noEngineFits(pool, facts));
  const reasons: WaitReason[] = [];
  let uncovered = 0;
  for (let slot = 0; slot < slots; slot += 1) {
    const cover = covered[slot];
    if (pool.outage) reasons.push({ reason: 'source-down', outage: pool.outage });
    else if (pool.refused) reasons.push(refused());
    else if (cover) reasons.push(cover);
    else if (slot >= pool.count) reasons.push({ reason: 'pending', counted: pool.count });
    else reasons.push(next(uncovered++));
  }
  return reasons;
}

function noEngineFits(pool: PoolWaitFacts, facts: WaitFacts): WaitReason {
  const { platform, engineLabels, runtimes } = pool;
  return {
    reason: 'no-engine-fits',
    needs: { platform, engineLabels, runtimes },
    engines: facts.engines.map(({ id, platforms, labels, runtimes: offered }) => ({
      id,
      platforms,
      labels,
      runtimes: offered,
    })),
  };
}

/**
 * Why the pool starts no runner for its k-th uncovered job now: the first k fit in what room is
 * left (the next pass starts their runners); past that, what runs out first.
 */
function uncoveredReasons(
  pool: PoolWaitFacts,
  facts: WaitFacts,
  room: Room,
): (k: number) => WaitReason {
  const usableUp = facts.engines.filter((e) => e.up && canRun(e, pool));
  const usableDown = facts.engines.filter((e) => !e.up && couldRun(e, pool));
  const down = (engines: typeof facts.engines, runnersThere: number): WaitReason => ({
    reason: 'engine-down',
    engines: engines.map((e) => ({ id: e.id, since: e.downSince, error: e.error })),
    runnersThere,
  });
  if (usableUp.length === 0) {
    const why = usableDown.length > 0 ? down(usableDown, 0) : noEngineFits(pool, facts);
    return () => why;
  }
  const failure = pool.blockedUntil > facts.now ? pool.lastFailure : undefined;
  if (failure) {
    const why = failureReason(failure, pool.blockedUntil);
    return () => why;
  }
  const own = facts.runners.filter((r) => r.poolId === pool.id);
  const ownSpawns = facts.spawns.filter((s) => s.poolId === pool.id).length;
  const unreachable = own.filter((r) => r.phase === 'unreachable');
  const atPoolCap = (): WaitReason => {
    if (unreachable.length > 0) {
      const ids = new Set(unreachable.map((r) => r.engineId));
      return down(
        facts.engines.filter((e) => ids.has(e.id)),
        unreachable.length,
      );
    }
    const phases: Partial<Record<ObservedRunner['phase'], number>> = {};
    for (const runner of own) phases[runner.phase] = (phases[runner.phase] ?? 0) + 1;
    if (ownSpawns > 0) phases.starting = (phases.starting ?? 0) + ownSpawns;
    return { reason: 'pool-cap', max: pool.maxRunners, phases };
  };
  const noRoom = (): WaitReason =>
    usableDown.length > 0
      ? down(usableDown, 0)
      : {
          reason: 'no-engine-room',
          engines: usableUp.map((e) => ({
            id: e.id,
            used: room.used.get(e.id) ?? 0,
            capacity: e.capacity,
          })),
        };
  const poolLeft = pool.maxRunners - own.length - ownSpawns;
  const globalLeft = facts.maxRunners - room.total;
  const engineLeft = usableUp.reduce(
    (sum, e) => sum + Math.max(0, e.capacity - (room.used.get(e.id) ?? 0)),
    0,
  );
  // Made once each: a pool may have thousands of jobs waiting for the same thing.
  const reasons = {
    poolCap: once(atPoolCap),
    globalCap: once((): WaitReason => ({
      reason: 'global-cap',
      max: facts.maxRunners,
      inUse: room.total,
    })),
    noRoom: once(noRoom),
    pending: once((): WaitReason => ({ reason: 'pending', counted: undefined })),
  };
  return (k) => {
    if (k >= poolLeft) return reasons.poolCap();
    if (k >= globalLeft) return reasons.globalCap();
    if (k >= engineLeft) return reasons.noRoom();
    return reasons.pending();
  };
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

function failureReason(failure: PoolFailure, retryAt: number): WaitReason {
  switch (failure.stage) {
    case 'registration':
      return {
        reason: 'registration-failed',
        status: failure.status,
        error: failure.error,
        retryAt,
      };
    case 'image':
      return { reason: 'image-pull-failed', error: failure.error, retryAt };
    case 'start':
      return { reason: 'start-failed', error: failure.error, retryAt };
    case 'early-exit':
      return {
        reason: 'runner-failed',
        runner: failure.runner,
        exitCode: failure.exitCode,
        outdated: failure.outdated,
        retryAt,
      };
  }
}
