import { afterEach, describe, expect, it } from 'vitest';
import { scaleSetPools } from '../../controller/src/config/job-sources.ts';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { createJobIntake } from '../../controller/src/jobs/job-intake.ts';
import { WaitingJobs } from '../../controller/src/jobs/waiting-jobs.ts';
import { ScaleSetPools } from '../../controller/src/scaleset/scale-set-pools.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';
import {
  connectSource,
  playRunner,
  type ConnectedSource,
} from '../support/fakes/fake-actions/scale-set-harness.ts';
import {
  recordingLog,
  setUpReconciler,
  type ReconcilerSetup,
} from '../support/fakes/reconciler-setup.ts';

// The scale-set pools against the fake Actions service (in-process, no Docker): messages booked
// into the job book, demand from the statistics, runners registered and removed in the scale set.

const SCALE_SET = 'linux-x64';
const ENV = {
  GITHUB_URL: 'https://github.com/octocat/hello-world',
  GITHUB_TOKEN: 'token',
  JOB_SOURCE: 'scaleset',
  SCALE_SET_NAME: SCALE_SET,
};

let fake: FakeActions | undefined;
let pools: ScaleSetPools | undefined;
let reconciling: ReconcilerSetup | undefined;
const connected: ConnectedSource[] = [];

afterEach(async () => {
  await reconciling?.stop();
  await pools?.stop();
  for (const client of connected.splice(0)) client.assertNoSecretLeaked();
  fake?.assertClean();
  await fake?.close();
  [fake, pools, reconciling] = [undefined, undefined, undefined];
});

function scaleSetPool() {
  const [pool] = scaleSetPools(testConfig(ENV).pools);
  if (!pool) throw new Error('no scale-set pool');
  return pool;
}

async function setup(capacity: () => number = () => 10) {
  fake = await startFakeActions({ sessionTimeoutMs: 600, longPollMs: 300 });
  const client = connectSource(fake);
  connected.push(client);
  const pool = scaleSetPool();
  const jobs = new JobBook();
  const waiting = new WaitingJobs(jobs);
  const changes = { count: 0 };
  const intake = createJobIntake({
    jobs,
    waiting,
    capacity,
    onChange: () => (changes.count += 1),
  });
  pools = new ScaleSetPools({
    pools: [pool],
    source: () => client.source,
    actions: () => client.actions,
    log: recordingLog().log,
  });
  const registrar = pools.registrars().get(pool.id);
  if (!registrar) throw new Error('no registrar');
  return { fake, client, pool, jobs, waiting, changes, pools, intake, registrar };
}

describe('scale-set pools', () => {
  it('book each message’s jobs and take the pool’s demand from its statistics', async () => {
    const s = await setup();
    s.pools.start(s.intake);
    await s.fake.waitFor(() => s.client.source.health().state === 'listening', 5000, 'listening');
    expect(s.waiting.count(s.pool.id)).toBe(0);
    const job = s.fake.queueJob({ scaleSet: SCALE_SET, durationMs: 200 });
    await s.fake.waitFor(() => s.jobs.waiting(s.pool.id).length === 1, 5000, 'job booked');
    expect(s.jobs.find(job.runnerRequestId, s.pool.id)).toMatchObject({
      poolId: s.pool.id,
      state: 'queued',
      repository: 'octocat/hello-world',
    });
    expect(s.waiting.count(s.pool.id)).toBe(1);
    expect(s.changes.count).toBeGreaterThan(0);

    // A runner registered in the scale set takes the job; the book follows its messages.
    const jit = await s.registrar.register('runner-0000000001');
    s.client.secrets.add(jit.encodedJitConfig);
    const played = playRunner(jit.encodedJitConfig);
    await s.fake.waitFor(
      () => s.jobs.find(job.runnerRequestId, s.pool.id)?.state === 'in_progress',
      5000,
      'job started',
    );
    expect(s.waiting.count(s.pool.id)).toBe(0);
    // The service keeps a runner that runs a job.
    expect(await s.registrar.deregister('runner-0000000001', undefined)).toBe('busy');
    await played;
    await s.fake.waitFor(
      () => s.jobs.find(job.runnerRequestId, s.pool.id)?.state === 'completed',
      5000,
      'job completed',
    );
    expect(s.jobs.find(job.runnerRequestId, s.pool.id)).toMatchObject({
      runnerName: 'runner-0000000001',
      conclusion: 'success',
    });
  });

  it('deregister an idle runner by the id its registration gave, or by name after a restart', async () => {
    const s = await setup();
    s.pools.start(s.intake);
    await s.fake.waitFor(() => s.client.source.health().state === 'listening', 5000, 'listening');
    const first = await s.registrar.register('runner-0000000001');
    const second = await s.registrar.register('runner-0000000002');
    s.client.secrets.add(first.encodedJitConfig).add(second.encodedJitConfig);
    expect(
      s.fake
        .runners()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['runner-0000000001', 'runner-0000000002']);
    expect(await s.registrar.deregister('runner-0000000001', undefined)).toBe('removed');
    // Another controller's registration: its id is looked up by name.
    const lookups = () => s.fake.requests().filter((r) => r.query.agentName !== undefined).length;
    expect(lookups()).toBe(0);
    const restarted = new ScaleSetPools({
      pools: [s.pool],
      source: () => s.client.source,
      actions: () => s.client.actions,
      log: recordingLog().log,
    })
      .registrars()
      .get(s.pool.id);
    expect(await restarted?.deregister('runner-0000000002', undefined)).toBe('removed');
    expect(lookups()).toBe(1);
    expect(s.fake.runners().filter((r) => r.state !== 'gone')).toEqual([]);
    // One that is gone already counts as removed.
    expect(await restarted?.deregister('runner-0000000009', undefined)).toBe('removed');
  });

  it('refuse a registration until the scale set is known', async () => {
    const s = await setup();
    await expect(s.registrar.register('runner-0000000001')).rejects.toThrow(
      `scale set ${SCALE_SET} is not ready yet`,
    );
    expect(s.fake.runners()).toEqual([]);
  });

  it('offer the service the capacity the reconciler computes before every poll', async () => {
    let capacity = 2;
    const s = await setup(() => capacity);
    s.pools.start(s.intake);
    await s.fake.waitFor(() => s.client.source.health().state === 'listening', 5000, 'listening');
    capacity = 5;
    await s.fake.waitFor(
      () => s.fake.requests().some((r) => r.capacity === 5),
      5000,
      'capacity 5 offered',
    );
    const offered = new Set(
      s.fake.requests().flatMap((r) => (r.capacity === undefined ? [] : [r.capacity])),
    );
    expect(offered).toEqual(new Set([2, 5]));
  });
});

describe('a scale-set pool with the reconciler (fake runtime, runners played in-process)', () => {
  it('runs every job on a runner of its own, registered in the scale set', async () => {
    fake = await startFakeActions({ sessionTimeoutMs: 600, longPollMs: 300 });
    const actionsFake = fake;
    const client = connectSource(actionsFake);
    connected.push(client);
    const pool = scaleSetPool();
    const jobs = new JobBook();
    const waiting = new WaitingJobs(jobs);
    pools = new ScaleSetPools({
      pools: [pool],
      source: () => client.source,
      actions: () => client.actions,
      log: recordingLog().log,
    });
    let most = 0;
    const w = setUpReconciler({
      env: { ...ENV, MAX_RUNNERS: '2' },
      jobs,
      waiting,
      registrars: pools.registrars(),
      onStart: (container) => {
        most = Math.max(most, w.runtime.of().length);
        const jit = container.spec?.jitConfig ?? '';
        client.secrets.add(jit);
        void playRunner(jit).then(() => w.runtime.exit(container.name, 0));
      },
    });
    reconciling = w;
    const intake = createJobIntake({
      jobs,
      waiting,
      capacity: (poolId) => w.reconciler.capacityFor(poolId),
      onChange: () => w.reconciler.trigger(),
    });
    await w.pass();
    pools.start(intake);
    const queued = [1, 2, 3, 4].map(() =>
      actionsFake.queueJob({ scaleSet: SCALE_SET, durationMs: 100 }),
    );
    await actionsFake.waitFor(
      () => queued.every((job) => actionsFake.job(job.runnerRequestId)?.state === 'completed'),
      15_000,
      'every job completed',
    );
    await actionsFake.waitFor(() => w.runtime.of().length === 0, 5000, 'every runner removed');
    // One runner per job, never more than MAX_RUNNERS at once, none registered with REST.
    const runners = queued.map((job) => actionsFake.job(job.runnerRequestId)?.runner?.name);
    expect(new Set(runners).size).toBe(4);
    expect(w.runtime.starts.length).toBe(4);
    expect(most).toBeLessThanOrEqual(2);
    expect(w.registrar.calls).toEqual([]);
  });
});
