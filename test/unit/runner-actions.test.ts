import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ImagePullFailed } from '../../controller/src/domain/runner-failures.ts';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { PoolHealthBook } from '../../controller/src/reconcile/pool-health.ts';
import { RunnerActions } from '../../controller/src/reconcile/runner-actions.ts';
import { RunnerProgress } from '../../controller/src/reconcile/runner-progress.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';
import { FakeRegistrar } from '../support/fakes/fake-registrar.ts';
import { FakeRuntime } from '../support/fakes/fake-runtime.ts';
import {
  numberedNames,
  recordingLog,
  settle,
  useReconcilerClock,
} from '../support/fakes/reconciler-setup.ts';

// What the planner's actions do on the registrar and the engine, one action at a time.

function setup() {
  const [pool] = testConfig({ GITHUB_URL: 'https://github.com/octo/app', GITHUB_TOKEN: 't' }).pools;
  if (!pool) throw new Error('no pool');
  const runtime = new FakeRuntime();
  const registrar = new FakeRegistrar();
  const { log, lines } = recordingLog();
  const health = new PoolHealthBook([pool.id]);
  const progress = new RunnerProgress({
    jobs: new JobBook(),
    health,
    log,
    now: Date.now,
    events: {},
  });
  const seen = { triggers: 0, wakes: [] as number[], spawned: [] as (number | undefined)[] };
  const counts = { spawnFailed: 0, removed: 0, dockerErrors: [] as string[] };
  let listing = 0;
  const actions = new RunnerActions({
    runtime,
    registrars: new Map([[pool.id, registrar]]),
    poolOf: (id) => (id === pool.id ? pool : undefined),
    log,
    now: Date.now,
    health,
    progress,
    runnerName: numberedNames(),
    listing: () => listing,
    trigger: () => (seen.triggers += 1),
    wakeIn: (ms) => seen.wakes.push(ms),
    events: {
      spawned: (_pool, _ms, jobId) => seen.spawned.push(jobId),
      spawnFailed: () => (counts.spawnFailed += 1),
      removed: () => (counts.removed += 1),
      dockerError: (operation) => counts.dockerErrors.push(operation),
    },
  });
  return {
    pool,
    runtime,
    registrar,
    actions,
    health,
    seen,
    counts,
    lines,
    nextListing: () => (listing += 1),
  };
}

beforeEach(() => useReconcilerClock());
afterEach(() => vi.useRealTimers());

describe('runner actions: spawn', () => {
  it('registers, starts the container with the JIT config and the job, and counts it in flight', async () => {
    const s = setup();
    s.actions.spawn(s.pool, 'local', 42, Date.now());
    const [name] = [...s.actions.inFlight.keys()];
    expect(s.actions.inFlight.get(name ?? '')).toMatchObject({ poolId: s.pool.id, jobId: 42 });
    expect(s.actions.spawning).toBe(1);
    await s.actions.settled();
    await settle();
    expect(s.runtime.starts).toMatchObject([{ name, engineId: 'local', jobId: 42 }]);
    expect(s.runtime.starts[0]?.jitConfig).toBe(`jit:rest:${name}`);
    // Still counted until a listing begun after the start has been read.
    expect(s.actions.inFlight.get(name ?? '')?.doneAtListing).toBe(0);
    expect(s.seen.spawned).toEqual([42]);
    expect(s.seen.triggers).toBe(1);
    expect(s.actions.spawning).toBe(0);
  });

  it('on a refused registration starts nothing, backs off and asks to look again then', async () => {
    const s = setup();
    s.registrar.refuseNext(new Error('runner group "big" not found'));
    s.actions.spawn(s.pool, 'local', 1, Date.now());
    await s.actions.settled();
    await settle();
    expect(s.runtime.starts).toEqual([]);
    expect(s.actions.inFlight.size).toBe(0);
    expect(s.counts.spawnFailed).toBe(1);
    expect(s.health.get(s.pool.id)).toMatchObject({
      startFailures: 1,
      lastError: 'runner group "big" not found',
    });
    expect(s.seen.wakes).toEqual([1_000]);
    // Nothing was registered, so nothing is deregistered.
    expect(s.registrar.callsOf('deregister')).toEqual([]);
  });

  it('when the container does not start, deregisters the runner and marks what is left to remove', async () => {
    const s = setup();
    s.runtime.failNextStart(new Error('engine gone'));
    s.actions.spawn(s.pool, 'local', 1, Date.now());
    const [name = ''] = [...s.actions.inFlight.keys()];
    await s.actions.settled();
    await settle();
    expect(s.counts.dockerErrors).toEqual(['start']);
    expect(s.registrar.callsOf('deregister')).toEqual([
      { op: 'deregister', name, runnerId: 1, result: 'removed' },
    ]);
    expect(s.actions.abandoned.has(name)).toBe(true);
  });

  it('says which step failed: the registration with its status, the image, or the start', async () => {
    const s = setup();
    const refusal = Object.assign(new Error('registering a runner: GitHub answered 403'), {
      cause: Object.assign(new Error('Forbidden'), { status: 403 }),
    });
    const failures = [
      () => s.registrar.refuseNext(refusal),
      () => s.runtime.failNextStart(new ImagePullFailed('img', new Error('pull access denied'))),
      () => s.runtime.failNextStart(new Error('engine gone')),
    ];
    const seen = [];
    for (const fail of failures) {
      fail();
      s.actions.spawn(s.pool, 'local', 1, Date.now());
      await s.actions.settled();
      await settle();
      seen.push(s.health.get(s.pool.id)?.lastFailure);
    }
    expect(seen).toEqual([
      { stage: 'registration', status: 403, error: refusal.message, at: Date.now() },
      { stage: 'image', error: 'pull access denied', at: Date.now() },
      { stage: 'start', error: 'engine gone', at: Date.now() },
    ]);
  });
});

describe('runner actions: remove and retire', () => {
  it('removes a container once, however often asked while the removal runs', async () => {
    const s = setup();
    s.runtime.adopt({ name: 'runner-0000000001', poolId: s.pool.id, state: 'exited' });
    s.actions.remove('runner-0000000001', s.pool.id, 'exited');
    expect(s.actions.isRemoving('runner-0000000001')).toBe(true);
    s.actions.remove('runner-0000000001', s.pool.id, 'exited');
    await settle();
    expect(s.runtime.removals).toEqual(['runner-0000000001']);
    expect(s.counts.removed).toBe(1);
    expect(s.actions.isRemoving('runner-0000000001')).toBe(false);
  });

  it('counts a removal the engine failed and lets the next pass try again', async () => {
    const s = setup();
    s.runtime.remove = () => Promise.reject(new Error('engine busy'));
    s.actions.remove('runner-0000000001', s.pool.id, 'exited');
    await settle();
    expect(s.counts.dockerErrors).toEqual(['remove']);
    expect(s.actions.isRemoving('runner-0000000001')).toBe(false);
    expect(s.seen.triggers).toBe(1);
  });

  it('retires an idle runner: deregisters it with its id, then removes its container', async () => {
    const s = setup();
    s.actions.spawn(s.pool, 'local', undefined, Date.now());
    await s.actions.settled();
    const [name = ''] = [...s.actions.inFlight.keys()];
    s.actions.retire(name, s.pool.id);
    await settle();
    expect(s.registrar.callsOf('deregister')).toEqual([
      { op: 'deregister', name, runnerId: 1, result: 'removed' },
    ]);
    expect(s.runtime.removals).toEqual([name]);
  });

  it('keeps a runner its registrar says is busy', async () => {
    const s = setup();
    s.registrar.add('runner-0000000002', { busy: true });
    s.actions.retire('runner-0000000002', s.pool.id);
    await settle();
    expect(s.runtime.removals).toEqual([]);
    expect(s.actions.isRemoving('runner-0000000002')).toBe(false);
  });

  it('leaves a runner of a pool no longer configured to exit by itself', async () => {
    const s = setup();
    s.actions.retire('old-0000000003', 'gone');
    await settle();
    expect(s.registrar.calls).toEqual([]);
    expect(s.runtime.removals).toEqual([]);
    expect(
      s.lines.some((l) => l.msg.startsWith('idle runner of a pool no longer configured')),
    ).toBe(true);
  });
});
