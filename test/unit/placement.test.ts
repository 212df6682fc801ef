import { describe, expect, it } from 'vitest';
import { place, unplaceable, type EngineRoom } from '../../controller/src/domain/placement.ts';
import { plan, type PoolDemand } from '../../controller/src/reconcile/plan.ts';

const engine = (id: string, capacity: number, extra: Partial<EngineRoom> = {}): EngineRoom => ({
  id,
  capacity,
  platforms: ['linux/amd64'],
  labels: {},
  ...extra,
});
const anyPool = { platform: undefined, engineLabels: {} };

describe('place', () => {
  const engines = [
    engine('a', 4),
    engine('b', 8, { labels: { site: 'lab' } }),
    engine('arm', 2, { platforms: ['linux/arm64'] }),
  ];

  it('picks the least loaded engine with room, ties to the first listed', () => {
    const used = (entries: [string, number][]) => new Map(entries);
    expect(place(anyPool, engines, used([]))).toBe('a');
    expect(place(anyPool, engines, used([['a', 1]]))).toBe('b');
    expect(
      place(
        anyPool,
        engines,
        used([
          ['a', 2],
          ['b', 4],
          ['arm', 1],
        ]),
      ),
    ).toBe('a');
    // A pool that names no platform may go anywhere, an arm64 engine too.
    expect(
      place(
        anyPool,
        engines,
        used([
          ['a', 4],
          ['b', 8],
        ]),
      ),
    ).toBe('arm');
  });

  it('keeps a pool to engines of its platform and labels, and finds none when they are full', () => {
    const arm = { platform: 'linux/arm64', engineLabels: {} };
    expect(place(arm, engines, new Map())).toBe('arm');
    expect(place(arm, engines, new Map([['arm', 2]]))).toBeUndefined();
    const lab = { platform: undefined, engineLabels: { site: 'lab' } };
    expect(place(lab, engines, new Map([['b', 7]]))).toBe('b');
    expect(place(lab, engines, new Map([['b', 8]]))).toBeUndefined();
  });

  it('names the pools no engine can run', () => {
    const pools = [
      { id: 'x64', ...anyPool },
      { id: 'riscv', platform: 'linux/riscv64', engineLabels: {} },
      { id: 'gpu', platform: undefined, engineLabels: { gpu: 'yes' } },
    ];
    expect(unplaceable(pools, engines).map((p) => p.id)).toEqual(['riscv', 'gpu']);
  });
});

describe('plan over several engines', () => {
  const pool = (id: string, fields: Partial<PoolDemand> = {}): PoolDemand => ({
    id,
    maxRunners: 10,
    minIdleRunners: 0,
    waitingJobs: 0,
    oldestWaitingAt: 1,
    blockedUntil: 0,
    ...anyPool,
    ...fields,
  });
  const input = (pools: PoolDemand[], engines: EngineRoom[], maxRunners = 100) => ({
    now: 1_000,
    maxRunners,
    idleTimeoutMs: 300_000,
    pools,
    runners: [],
    engines,
  });

  it("spreads a burst over the engines within each one's capacity and the global cap", () => {
    const actions = plan(input([pool('p', { waitingJobs: 10 })], [engine('a', 3), engine('b', 3)]));
    const onEngine = (id: string) =>
      actions.filter((a) => a.kind === 'spawn' && a.engineId === id).length;
    expect([onEngine('a'), onEngine('b')]).toEqual([3, 3]);
    const capped = plan(
      input([pool('p', { waitingJobs: 10 })], [engine('a', 3), engine('b', 3)], 4),
    );
    expect(capped.filter((a) => a.kind === 'spawn')).toHaveLength(4);
  });

  it('counts runners out of reach against the caps, but never as runners a job can use', () => {
    const actions = plan({
      ...input([pool('p', { waitingJobs: 2, maxRunners: 3 })], [engine('a', 5)]),
      runners: [
        { name: 'gone-1', poolId: 'p', engineId: 'down', phase: 'unreachable', since: 0 },
        { name: 'gone-2', poolId: 'p', engineId: 'down', phase: 'unreachable', since: 0 },
      ],
    });
    // Two jobs wait and nothing they can use exists: one spawn fits under the pool's cap of 3.
    expect(actions).toEqual([{ kind: 'spawn', poolId: 'p', engineId: 'a' }]);
  });

  it('gives an arm64 job to the arm64 engine only, and waits when it is full', () => {
    const engines = [engine('x', 5), engine('arm', 1, { platforms: ['linux/arm64'] })];
    const arm = pool('arm', { waitingJobs: 3, platform: 'linux/arm64' });
    expect(plan(input([arm], engines))).toEqual([
      { kind: 'spawn', poolId: 'arm', engineId: 'arm' },
    ]);
  });
});
