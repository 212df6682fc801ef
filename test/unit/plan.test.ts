import { describe, expect, it } from 'vitest';
import {
  plan,
  type ObservedRunner,
  type PlanInput,
  type PoolDemand,
} from '../../controller/src/reconcile/plan.ts';

const pool = (overrides: Partial<PoolDemand> = {}): PoolDemand => ({
  id: 'a',
  platform: undefined,
  engineLabels: {},
  maxRunners: 5,
  minIdleRunners: 0,
  waitingJobs: 0,
  oldestWaitingAt: undefined,
  blockedUntil: 0,
  ...overrides,
});
const runner = (
  name: string,
  phase: ObservedRunner['phase'],
  overrides: Partial<ObservedRunner> = {},
): ObservedRunner => ({
  name,
  poolId: 'a',
  engineId: 'e',
  phase,
  since: 0,
  ...overrides,
});
const input = (overrides: Partial<PlanInput>): PlanInput => ({
  now: 1_000_000,
  maxRunners: 10,
  idleTimeoutMs: 300_000,
  pools: [pool()],
  runners: [],
  engines: [{ id: 'e', capacity: 1000, platforms: ['linux/amd64'], labels: {} }],
  ...overrides,
});
const spawns = (actions: ReturnType<typeof plan>, poolId = 'a') =>
  actions.filter((a) => a.kind === 'spawn' && a.poolId === poolId).length;

describe('plan', () => {
  it.each([
    { case: 'one waiting job, nothing running', waiting: 1, runners: [], want: 1 },
    { case: 'waiting jobs beyond the pool cap', waiting: 9, runners: [], want: 5 },
    {
      case: 'a starting runner already covers the job',
      waiting: 1,
      runners: [runner('r1', 'starting')],
      want: 0,
    },
    {
      case: 'busy runners use the cap',
      waiting: 4,
      runners: [runner('b1', 'busy'), runner('b2', 'busy')],
      want: 3,
    },
    {
      case: 'exited containers count until removed',
      waiting: 5,
      runners: [runner('x', 'exited')],
      want: 4,
    },
    { case: 'no waiting job, no warm pool', waiting: 0, runners: [], want: 0 },
  ])('$case: spawns $want', ({ waiting, runners, want }) => {
    expect(spawns(plan(input({ pools: [pool({ waitingJobs: waiting })], runners })))).toBe(want);
  });

  it('keeps the warm pool filled within the cap', () => {
    expect(spawns(plan(input({ pools: [pool({ minIdleRunners: 2 })] })))).toBe(2);
    const full = [1, 2, 3, 4].map((i) => runner(`b${i}`, 'busy'));
    expect(spawns(plan(input({ pools: [pool({ minIdleRunners: 2 })], runners: full })))).toBe(1);
  });

  it('never exceeds the global cap and gives older work capacity first', () => {
    const actions = plan(
      input({
        maxRunners: 3,
        pools: [
          pool({ id: 'new', waitingJobs: 5, oldestWaitingAt: 500 }),
          pool({ id: 'old', waitingJobs: 1, oldestWaitingAt: 100 }),
        ],
      }),
    );
    expect(spawns(actions, 'old')).toBe(1);
    expect(spawns(actions, 'new')).toBe(2);
  });

  it('holds spawns while a pool is backing off', () => {
    const blocked = pool({ waitingJobs: 3, blockedUntil: 2_000_000 });
    expect(spawns(plan(input({ pools: [blocked] })))).toBe(0);
  });

  it('removes exited runners', () => {
    expect(plan(input({ runners: [runner('x', 'exited')] }))).toContainEqual({
      kind: 'cleanup',
      name: 'x',
      poolId: 'a',
    });
  });

  it('retires only idle surplus past the idle timeout, oldest first, never busy or starting ones', () => {
    const runners = [
      runner('old-idle', 'idle', { since: 0 }),
      runner('young-idle', 'idle', { since: 900_000 }),
      runner('busy', 'busy', { since: 0 }),
      runner('starting', 'starting', { since: 0 }),
    ];
    const actions = plan(input({ runners }));
    expect(actions).toEqual([{ kind: 'retire', name: 'old-idle', poolId: 'a' }]);
  });

  it('keeps idle runners that waiting jobs need', () => {
    const runners = [runner('i1', 'idle'), runner('i2', 'idle')];
    expect(plan(input({ pools: [pool({ waitingJobs: 2 })], runners }))).toEqual([]);
  });

  it('regression: warm runners of one pool do not starve a waiting job of another at the global cap', () => {
    const pools = [
      pool({ id: 'a', maxRunners: 1, waitingJobs: 1, oldestWaitingAt: 10 }),
      pool({ id: 'b', maxRunners: 1, minIdleRunners: 1 }),
    ];
    const warm = runner('warm-b', 'idle', { poolId: 'b', since: 999_999 });
    const actions = plan(input({ maxRunners: 1, pools, runners: [warm] }));
    expect(actions).toEqual([{ kind: 'retire', name: 'warm-b', poolId: 'b' }]);
  });

  it('gives waiting jobs the global room before warm runners', () => {
    const pools = [
      pool({ id: 'warm', minIdleRunners: 3 }),
      pool({ id: 'jobs', waitingJobs: 2, oldestWaitingAt: 5 }),
    ];
    const actions = plan(input({ maxRunners: 3, pools }));
    expect(spawns(actions, 'jobs')).toBe(2);
    expect(spawns(actions, 'warm')).toBe(1);
  });
});

describe('plan: stray registrations', () => {
  it('deregisters a stray registration unless a runner of its name turned up since', () => {
    const actions = plan(
      input({
        runners: [runner('runner-0000000002', 'busy')],
        strays: [
          { name: 'runner-0000000001', poolId: 'a', runnerId: 11 },
          { name: 'runner-0000000002', poolId: 'a', runnerId: 12 },
        ],
      }),
    );
    expect(actions).toEqual([
      { kind: 'deregister', name: 'runner-0000000001', poolId: 'a', runnerId: 11 },
    ]);
  });
});
