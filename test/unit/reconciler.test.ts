import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ATTEMPTS_PER_JOB } from '../../controller/src/reconcile/pool-health.ts';
import { FakeRegistrar } from '../support/fakes/fake-registrar.ts';
import {
  setUpReconciler,
  useReconcilerClock,
  type ReconcilerSetup,
} from '../support/fakes/reconciler-setup.ts';

// The reconciler's whole pass (listing, plan, registration, start, removal, retirement) against
// a fake runtime and a fake registrar: the orchestration without Docker or GitHub.

const TWO_POOLS = JSON.stringify({
  repositories: [
    {
      id: 'app',
      github_url: 'https://github.com/octo/app',
      github_token: 'token',
      pools: [
        { id: 'small', runner_labels: ['self-hosted', 'small'], max_runners: 3 },
        { id: 'large', runner_labels: ['self-hosted', 'large'], max_runners: 4 },
      ],
    },
  ],
});

let s: ReconcilerSetup | undefined;
const setUp = (options: Parameters<typeof setUpReconciler>[0] = {}) => {
  s = setUpReconciler(options);
  return s;
};

beforeEach(() => useReconcilerClock());
afterEach(async () => {
  await s?.stop();
  s = undefined;
  vi.useRealTimers();
});

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('the reconciler: starting runners', () => {
  it('registers a runner for each waiting job, then starts its container with the JIT config', async () => {
    const { runtime, registrar, counts, ...w } = setUp();
    w.queue([1, 2]);
    await w.pass();
    expect(runtime.of()).toHaveLength(2);
    expect(registrar.callsOf('register')).toHaveLength(2);
    for (const spec of runtime.starts) {
      expect(registrar.registered(spec.name)).toBe(true);
      expect(spec.jitConfig).toBe(`jit:rest:${spec.name}`);
    }
    // Each runner is labelled with a different waiting job (informational only).
    expect(runtime.starts.map((spec) => spec.jobId).sort()).toEqual([1, 2]);
    expect(counts.spawned).toBe(2);
    // Triggered again with nothing new: no more runners.
    await w.pass();
    await w.pass();
    expect(runtime.starts).toHaveLength(2);
  });

  it('never exceeds a pool cap, MAX_RUNNERS or an engine, however many jobs wait', async () => {
    const w = setUp({
      env: { REPOS_CONFIG_FILE: '/repos.json', MAX_RUNNERS: '5' },
      files: { '/repos.json': TWO_POOLS },
    });
    w.queue(ids(100, 10), 'app/small');
    w.queue(ids(200, 10), 'app/large');
    for (let round = 0; round < 3; round += 1) await w.pass();
    const check = () => {
      expect(w.runtime.of().length).toBeLessThanOrEqual(5);
      expect(w.runtime.of('app/small').length).toBeLessThanOrEqual(3);
      expect(w.runtime.of('app/large').length).toBeLessThanOrEqual(4);
    };
    check();
    expect(w.runtime.of()).toHaveLength(5);
    // Runners take jobs, finish and exit; each freed slot goes to a waiting job, within the caps.
    let job = 0;
    for (let round = 0; round < 6; round += 1) {
      for (const container of w.runtime.of()) {
        if (container.state !== 'running') continue;
        const jobId = container.poolId === 'app/small' ? 100 + job : 200 + job;
        job += 1;
        w.take(jobId, container.name, container.poolId);
        w.complete(jobId, container.name, container.poolId);
        w.runtime.exit(container.name, 0);
      }
      await w.pass();
      check();
    }
    expect(w.runtime.starts.length).toBeGreaterThan(10);
  });

  it('places runners only where an engine has room', async () => {
    const w = setUp({
      engines: [
        { id: 'a', capacity: 1 },
        { id: 'b', capacity: 2 },
      ],
    });
    w.queue(ids(1, 6));
    await w.pass();
    expect(
      w.runtime
        .of()
        .map((c) => c.engineId)
        .sort(),
    ).toEqual(['a', 'b', 'b']);
  });
});

describe('the reconciler: runners it did not start', () => {
  it('counts them, never stops a busy one, and retires an idle one past its timeout', async () => {
    const w = setUp({ env: { RUNNER_IDLE_TIMEOUT_SECONDS: '5' } });
    const pool = w.poolOf().id;
    const idle = w.runtime.adopt({ name: 'runner-00000000aa', poolId: pool });
    const busy = w.runtime.adopt({ name: 'runner-00000000bb', poolId: pool });
    w.take(7, busy.name);
    w.queue(8);
    await w.pass();
    // The adopted idle runner is ready for job 8: nothing new starts.
    expect(w.runtime.starts).toHaveLength(0);
    expect(w.reconciler.runners().map((r) => [r.name, r.phase])).toEqual([
      [idle.name, 'idle'],
      [busy.name, 'busy'],
    ]);
    // Job 8 is cancelled; the idle runner is surplus once idle past its timeout.
    w.complete(8);
    await w.advance(4_000);
    expect(w.runtime.removals).toEqual([]);
    await w.advance(2_000);
    // Its registration id was never learnt here: it is removed by name.
    expect(w.registrar.callsOf('deregister')).toEqual([
      { op: 'deregister', name: idle.name, runnerId: undefined, result: 'removed' },
    ]);
    expect(w.runtime.removals).toEqual([idle.name]);
    expect(w.runtime.containers.has(busy.name)).toBe(true);
    await w.advance(60_000);
    expect(w.runtime.removals).toEqual([idle.name]);
  });

  it('keeps an idle runner GitHub says took a job meanwhile', async () => {
    const w = setUp({ env: { RUNNER_IDLE_TIMEOUT_SECONDS: '1' } });
    const adopted = w.runtime.adopt({ name: 'runner-00000000cc', poolId: w.poolOf().id });
    w.registrar.add(adopted.name, { busy: true });
    await w.pass();
    await w.advance(1_500);
    // Asked once: busy until its container goes (its in_progress event may come late), not
    // deregistered again at every pass (a write to GitHub each time).
    await w.advance(60_000);
    expect(w.registrar.callsOf('deregister')).toEqual([
      { op: 'deregister', name: adopted.name, runnerId: undefined, result: 'busy' },
    ]);
    expect(w.runtime.removals).toEqual([]);
    expect(w.logged('idle runner took a job; kept')).toHaveLength(1);
    expect(w.reconciler.runners().map((r) => [r.name, r.phase])).toEqual([[adopted.name, 'busy']]);
  });

  it('removes an exited container left behind', async () => {
    const w = setUp();
    w.runtime.adopt({
      name: 'runner-00000000dd',
      poolId: w.poolOf().id,
      state: 'exited',
      exitCode: 0,
    });
    await w.pass();
    expect(w.runtime.removals).toEqual(['runner-00000000dd']);
    expect(w.runtime.of()).toHaveLength(0);
  });
});

describe('the reconciler: registrations GitHub lists', () => {
  it('deregisters its own offline registrations without a container once seen twice, no one else’s', async () => {
    const w = setUp();
    const pool = w.poolOf().id;
    const stray = w.registrar.add('runner-00000000ee', { status: 'offline' });
    w.registrar.add('runner-build-box', { status: 'offline' });
    w.registrar.add('runner-00000000ff', { status: 'offline', busy: true });
    const adopted = w.runtime.adopt({ name: 'runner-0000000100', poolId: pool });
    w.registrar.add(adopted.name, { status: 'offline' });
    const listed = () => [...w.registrar.registrations.values()];
    await w.pass();
    w.reconciler.noteRegistered(w.poolOf().repoId, listed());
    await w.pass();
    // Seen once: it may be a runner registered between a listing and this reading.
    expect(w.registrar.callsOf('deregister')).toEqual([]);
    w.reconciler.noteRegistered(w.poolOf().repoId, listed());
    await w.pass();
    expect(w.registrar.callsOf('deregister')).toEqual([
      { op: 'deregister', name: stray.name, runnerId: stray.id, result: 'removed' },
    ]);
    expect(w.logged('offline runner without container deregistered')).toHaveLength(1);
    // Decided once: later passes do not ask again.
    await w.pass();
    expect(w.registrar.callsOf('deregister')).toHaveLength(1);
    expect(
      listed()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['runner-00000000ff', adopted.name, 'runner-build-box']);
  });

  it('never stops a runner GitHub reports busy, whatever the job book says', async () => {
    const w = setUp({ env: { RUNNER_IDLE_TIMEOUT_SECONDS: '1' } });
    const pool = w.poolOf().id;
    const running = w.runtime.adopt({ name: 'runner-0000000200', poolId: pool });
    w.reconciler.noteRegistered(w.poolOf().repoId, [
      { id: 9, name: running.name, status: 'online', busy: true },
    ]);
    await w.pass();
    await w.advance(120_000);
    expect(w.reconciler.runners().map((r) => r.phase)).toEqual(['busy']);
    expect(w.registrar.calls).toEqual([]);
    expect(w.runtime.removals).toEqual([]);
  });
});

describe('the reconciler: a runner that dies', () => {
  it('removes it, backs the pool off and starts another after the pause', async () => {
    const w = setUp();
    w.queue(1);
    await w.pass();
    const [first] = w.runtime.of();
    if (!first) throw new Error('no runner');
    w.runtime.exit(first.name, 1);
    await w.pass();
    expect(w.runtime.removals).toEqual([first.name]);
    expect(w.counts.exitedEarly).toBe(1);
    expect(w.reconciler.poolHealth(w.poolOf().id)).toMatchObject({
      earlyExits: 1,
      lastError: 'runner exited with code 1 before taking a job',
    });
    // Backing off for 1 s: no new runner yet.
    await w.pass();
    expect(w.runtime.starts).toHaveLength(1);
    await w.advance(1_100);
    expect(w.runtime.starts).toHaveLength(2);
    // The second one takes the job: the pool's trouble is cleared.
    const second = w.runtime.starts[1]?.name ?? '';
    w.take(1, second);
    await w.pass();
    expect(w.reconciler.poolHealth(w.poolOf().id)).toMatchObject({
      earlyExits: 0,
      lastError: undefined,
    });
  });

  it(`gives a job up after ${MAX_ATTEMPTS_PER_JOB} runners died before taking it`, async () => {
    const w = setUp();
    w.queue(1);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_JOB; attempt += 1) {
      await w.advance(60_000);
      const running = w.runtime.of().filter((c) => c.state === 'running');
      expect(running).toHaveLength(1);
      w.runtime.exit(running[0]?.name ?? '', 1);
      await w.pass();
    }
    expect(w.counts.gaveUp).toBe(1);
    expect(w.jobs.get(1)?.givenUp).toBe(true);
    await w.advance(120_000);
    expect(w.runtime.starts).toHaveLength(MAX_ATTEMPTS_PER_JOB);
    expect(w.reconciler.poolHealth(w.poolOf().id)?.givenUpJobs).toBe(1);
  });

  it('believes the engine that reports a death before its listing shows it', async () => {
    const w = setUp();
    w.queue(1);
    await w.pass();
    const [runner] = w.runtime.of();
    if (!runner) throw new Error('no runner');
    // The event says it died; the container still lists as running (the listing lags).
    w.runtime.emit({
      kind: 'changed',
      engineId: runner.engineId,
      died: [{ containerId: runner.containerId, exitCode: 137 }],
    });
    await w.pass();
    expect(w.runtime.removals).toEqual([runner.name]);
    expect(w.reconciler.poolHealth(w.poolOf().id)?.lastError).toBe(
      'runner exited with code 137 before taking a job',
    );
  });
});

describe('the reconciler: a registration refused', () => {
  it('starts no container, says why, and tries again after the pause', async () => {
    const w = setUp();
    w.registrar.refuseNext(new Error('registering a runner: the token needs Administration write'));
    w.queue(1);
    await w.pass();
    expect(w.runtime.starts).toHaveLength(0);
    expect(w.counts.spawnFailed).toBe(1);
    expect(w.reconciler.poolHealth(w.poolOf().id)).toMatchObject({
      startFailures: 1,
      lastError: 'registering a runner: the token needs Administration write',
    });
    expect(w.logged('runner spawn failed')).toHaveLength(1);
    await w.advance(1_100);
    expect(w.runtime.of()).toHaveLength(1);
    expect(w.reconciler.poolHealth(w.poolOf().id)).toMatchObject({ startFailures: 0 });
  });

  it('removes the registration of a runner whose container did not start', async () => {
    const w = setUp();
    w.runtime.failNextStart(new Error('no such image'));
    w.queue(1);
    await w.pass();
    const [name] = w.runtime.starts.map((spec) => spec.name);
    expect(w.counts.dockerErrors).toBe(1);
    expect(w.registrar.callsOf('deregister')).toMatchObject([
      { name, runnerId: 1, result: 'removed' },
    ]);
    expect(w.registrar.registrations.size).toBe(0);
  });
});

describe('the reconciler: an engine down', () => {
  it('starts runners only on engines that answer and leaves the others’ containers alone', async () => {
    const w = setUp({
      engines: [
        { id: 'a', capacity: 2 },
        { id: 'b', capacity: 2 },
      ],
    });
    const pool = w.poolOf().id;
    const onB = w.runtime.adopt({ name: 'runner-00000000b1', poolId: pool, engineId: 'b' });
    w.take(1, onB.name);
    await w.pass();
    w.runtime.engine('b').answers = false;
    w.queue(ids(2, 4));
    await w.pass();
    // b's runner may still run: it counts, is not removed, and nothing new goes to b.
    expect(w.runtime.of().filter((c) => c.engineId === 'a')).toHaveLength(2);
    expect(w.runtime.starts.every((spec) => spec.engineId === 'a')).toBe(true);
    expect(w.reconciler.runners().find((r) => r.name === onB.name)?.phase).toBe('unreachable');
    expect(w.runtime.removals).toEqual([]);
    // b answers again: its room is used.
    w.runtime.engine('b').answers = true;
    await w.pass();
    expect(w.runtime.of().filter((c) => c.engineId === 'b')).toHaveLength(2);
  });

  it('starts nothing while its only engine is down, and catches up when it returns', async () => {
    const w = setUp();
    w.runtime.engine('local').answers = false;
    w.queue([1, 2]);
    await w.pass();
    await w.advance(5_000);
    expect(w.runtime.starts).toHaveLength(0);
    w.runtime.engine('local').answers = true;
    await w.pass();
    expect(w.runtime.of()).toHaveLength(2);
  });

  it('backs off a pool whose runners fail to start on an engine that went away', async () => {
    const w = setUp();
    w.queue(1);
    // The engine answers the listing, then goes away before the start.
    w.runtime.failNextStart(new Error('connect ECONNREFUSED /var/run/docker.sock'));
    await w.pass();
    expect(w.reconciler.poolHealth(w.poolOf().id)).toMatchObject({
      startFailures: 1,
      lastError: 'connect ECONNREFUSED /var/run/docker.sock',
    });
    expect(w.runtime.of()).toHaveLength(0);
    await w.advance(1_100);
    expect(w.runtime.of()).toHaveLength(1);
  });
});

describe('the reconciler: a scale-set pool', () => {
  it('asks for runners by the scale set’s count, registers them there and never with REST', async () => {
    const scaleSet = new FakeRegistrar('scaleset');
    const w = setUp({
      env: { JOB_SOURCE: 'scaleset', SCALE_SET_NAME: 'big' },
      registrars: new Map([['octo-app', scaleSet]]),
    });
    // Three jobs assigned, of which the book heard of one (a message cut short).
    w.waiting.report(w.poolOf().id, 3);
    w.queue(1);
    await w.pass();
    expect(w.runtime.of()).toHaveLength(3);
    expect(scaleSet.callsOf('register')).toHaveLength(3);
    expect(w.registrar.calls).toEqual([]);
    expect(w.runtime.starts.map((spec) => spec.jitConfig)).toEqual(
      scaleSet.callsOf('register').map((call) => `jit:scaleset:${call.name}`),
    );
  });
});
