import { describe, expect, it } from 'vitest';
import {
  cacheVolumes,
  DIND_IMAGE,
  dindHarnessForEachTest,
  reportOf,
  runningSidecars,
} from '../support/images/dind-helpers.ts';
import { CacheLeases, cacheVolumeName } from '../../controller/src/runners/cache-volumes.ts';
import {
  docker,
  leftovers,
  localEngine,
  removeAllOf,
  runnerContainers,
  testControllerId,
} from '../support/harness/docker-cleanup.ts';
import { SECRET, type Harness } from '../support/harness/harness.ts';
import type { TestNetwork } from '../support/harness/test-network.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// Pools of dind runners that keep a build cache (dind_cache_volumes). The job of this stub
// builds the same Dockerfile every time and reports how long it took, how many steps came from
// the builder's cache and what the engine held before; then it leaves a container with a restart
// policy and a volume behind, which the cache must not keep.
const CACHE_STUB = 'autoscaler-test/runner-stub-cache:local';
const REPO_URL = 'https://github.com/octocat/hello-world';

let net: TestNetwork;
let h: Harness;
dindHarnessForEachTest((made) => ({ h, net } = made));

const reposWith = (pools: Record<string, unknown>[]) => ({
  repositories: [{ id: 'app', github_url: REPO_URL, pools }],
  defaults: {
    github_token: h.fake.token,
    webhook_secret: SECRET,
    runner_image: CACHE_STUB,
    runner_docker_mode: 'dind',
    dind_image: DIND_IMAGE,
    dind_privileged: false,
    runner_network: net.name,
  },
});
const start = (pools: Record<string, unknown>[]) =>
  h.startRepos(reposWith(pools), { 'octocat/hello-world': 'app' });
const queue = (label: string, durationMs = 300) =>
  h.fake.queueJob({ labels: ['self-hosted', label], durationMs });
const completed = (jobs: { id: number }[]) =>
  jobs.every((job) => h.fake.job(job.id)?.status === 'completed');

describe('a pool with a build cache', () => {
  it("gives its next runner the layers of the last job, none of the job's state, and starts over above its size limit", async () => {
    await start([
      { id: 'kept', runner_labels: 'self-hosted,kept', max_runners: 1, dind_cache_volumes: 1 },
      {
        id: 'small',
        runner_labels: 'self-hosted,small',
        max_runners: 1,
        dind_cache_volumes: 1,
        dind_cache_max_size: '1m',
      },
    ]);
    // Two jobs per pool; one runner per pool at a time, so the second runs after the first.
    const kept = [await queue('kept'), await queue('kept')];
    const small = [await queue('small'), await queue('small')];

    // Inspected while the first job runs (its build takes seconds).
    await waitUntil(() => h.fake.job(kept[0]?.id ?? 0)?.status === 'in_progress', 30_000, 'a job');
    const [first, runner] = await waitUntil(
      async () => {
        const [sidecars, runners] = await Promise.all([
          runningSidecars(h.controllerId),
          runnerContainers(h.controllerId, 'runner'),
        ]);
        const sidecar = sidecars.find((s) => s.pool === 'app/kept');
        const own = runners.find(
          (r) => r.Labels['io.runner-autoscaler.runner-name'] === sidecar?.runner,
        );
        return sidecar && own ? ([sidecar, own] as const) : undefined;
      },
      30_000,
      'a runner with its sidecar',
    );
    const sidecar = await docker.getContainer(first.id).inspect();
    expect(first.dataRoot).toBe(first.cacheVolume);
    expect(sidecar.HostConfig.Binds).toContain(`${first.cacheVolume ?? '?'}:/var/lib/docker`);
    // The defaults: a pids limit on both containers; dockerd keeps its containers' cgroups
    // under the sidecar's own (a cgroup v1 host), so the sidecar's limits hold for them.
    expect(sidecar.HostConfig.PidsLimit).toBe(4096);
    expect(sidecar.Config.Cmd).toContain('--cgroup-parent=jobs');
    const runnerInfo = await docker.getContainer(runner.Id).inspect();
    expect(runnerInfo.HostConfig.PidsLimit).toBe(2048);

    await waitUntil(() => completed([...kept, ...small]), 120_000, 'four jobs completed');
    expect([...kept, ...small].map((job) => h.fake.job(job.id)?.conclusion)).toEqual([
      'success',
      'success',
      'success',
      'success',
    ]);
    const [cold, warm] = kept.map((job) => reportOf(h.fake, job.id));
    expect(cold).toMatchObject({ cached_steps: 0, images: 0 });
    // The layers of the first build, and nothing of the first job's containers and volumes.
    expect(warm?.cached_steps).toBeGreaterThanOrEqual(3);
    expect(warm).toMatchObject({ containers: 0, volumes: 0 });
    expect(warm?.images).toBeGreaterThan(0);
    expect(warm?.build_ms).toBeLessThan(cold?.build_ms ?? 0);
    console.log(
      `dind build cache: first build ${cold?.build_ms} ms, second ${warm?.build_ms} ms (${warm?.cached_steps} steps from the cache)`,
    );
    // Above dind_cache_max_size the volume is dropped: the second job starts cold.
    expect(small.map((job) => reportOf(h.fake, job.id)?.cached_steps)).toEqual([0, 0]);
    const dropped = h.controller
      ?.logs()
      .filter((line) => line.msg === 'cache volume dropped' && line.pool === 'app/small');
    expect(dropped?.map((line) => line.reason)).toContain('above dind_cache_max_size');

    // What stays: the kept pool's cache volume, labelled so the cleanup finds it; no runner,
    // sidecar or runner volume.
    await waitUntil(
      async () => (await leftovers(h.controllerId)).containers === 0,
      30_000,
      'runners and sidecars removed',
    );
    await waitUntil(
      async () => (await cacheVolumes(h.controllerId)).length === 1,
      10_000,
      'the small pool’s volume dropped',
    );
    expect((await cacheVolumes(h.controllerId)).map((v) => v.pool)).toEqual(['app/kept']);
    // The last runner's own volumes go right after its containers.
    await waitUntil(
      async () => (await leftovers(h.controllerId)).volumes === 1,
      10_000,
      'only the cache volume left',
    );
  });

  it('never gives one data root to two live runners or to two pools, also after a restart, and removes what a pool no longer keeps', async () => {
    const pools = (bCache: number) => [
      { id: 'a', runner_labels: 'self-hosted,a', max_runners: 3, dind_cache_volumes: 1 },
      { id: 'b', runner_labels: 'self-hosted,b', max_runners: 1, dind_cache_volumes: bCache },
    ];
    await start(pools(1));
    const jobs = [await queue('a', 10_000), await queue('a', 10_000), await queue('b', 10_000)];
    // All three taken (their runners started): a runner still being created when its
    // controller dies is only replaced after two minutes.
    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'in_progress'),
      60_000,
      'three jobs running',
    );
    const live = await waitUntil(
      async () => {
        const list = await runningSidecars(h.controllerId);
        return list.length === 3 ? list : undefined;
      },
      10_000,
      'three live sidecars',
    );
    const roots = live.map((s) => s.dataRoot);
    expect(new Set(roots).size).toBe(3);
    // Pool a has one cache volume for two runners: one holds it, the other has its own.
    const ofA = live.filter((s) => s.pool === 'app/a');
    expect(ofA.filter((s) => s.cacheVolume !== undefined)).toHaveLength(1);
    expect(ofA.find((s) => s.cacheVolume === undefined)?.dataRoot).toMatch(/-docker$/);
    const ofB = live.find((s) => s.pool === 'app/b');
    expect(ofB?.cacheVolume).toBeDefined();
    expect(ofB?.cacheVolume).not.toBe(ofA.find((s) => s.cacheVolume)?.cacheVolume);

    // The leases are read from the engine: a controller started afresh gives a new runner of
    // pool a none of the volumes its running sidecars hold.
    await h.controller?.stop('SIGKILL');
    await start(pools(1));
    const later = await queue('a', 1_000);
    const newcomer = await waitUntil(
      async () =>
        (await runningSidecars(h.controllerId)).find(
          (s) => !live.some((old) => old.runner === s.runner),
        ),
      30_000,
      'the new runner’s sidecar',
    );
    expect(roots).not.toContain(newcomer.dataRoot);
    expect(newcomer.cacheVolume).toBeUndefined();

    await waitUntil(() => completed([...jobs, later]), 90_000, 'all jobs completed');
    await waitUntil(
      async () => (await leftovers(h.controllerId)).containers === 0,
      30_000,
      'runners and sidecars removed',
    );
    expect((await cacheVolumes(h.controllerId)).map((v) => v.pool).sort()).toEqual([
      'app/a',
      'app/b',
    ]);

    // Pool b keeps no cache any more: its volume goes at the next start, pool a's stays.
    await h.controller?.stop('SIGTERM');
    await start(pools(0));
    await waitUntil(
      async () => (await cacheVolumes(h.controllerId)).length === 1,
      15_000,
      'pool b’s cache volume removed',
    );
    expect((await cacheVolumes(h.controllerId)).map((v) => v.pool)).toEqual(['app/a']);
  });
});

describe('cache leases', () => {
  it('give two spawns of one pass different volumes, and none once all are leased', async () => {
    const controllerId = testControllerId();
    const engine = localEngine(undefined);
    const leases = new CacheLeases(controllerId);
    const pool = { id: 'app/x', repoId: 'app' };
    try {
      const leased = await Promise.all([
        leases.lease(engine, pool, 2),
        leases.lease(engine, pool, 2),
        leases.lease(engine, pool, 2),
      ]);
      // Two of the three get a volume each, whichever lists first; the third gets none.
      const names = [0, 1].map((slot) => cacheVolumeName(controllerId, 'app/x', slot));
      expect(leased.filter((name) => name !== undefined).sort()).toEqual(names);
      const one = leased.find((name) => name !== undefined);
      // Given back (its sidecar gone), a volume is leased again.
      leases.release('local', one ?? '');
      expect(await leases.lease(engine, pool, 2)).toBe(one);
      // Another pool never gets them.
      expect(await leases.lease(engine, { id: 'app/y', repoId: 'app' }, 1)).toBe(
        cacheVolumeName(controllerId, 'app/y', 0),
      );
    } finally {
      await removeAllOf(controllerId);
    }
  });
});
