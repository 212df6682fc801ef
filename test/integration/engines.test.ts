import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { docker as mainEngine } from '../support/harness/docker-cleanup.ts';
import { loadImages } from '../support/rigs/engine-images.ts';
import { startExtraDockerd, type ExtraDockerd } from '../support/rigs/extra-dockerd.ts';
import { harnessForEachTest, STUB_IMAGE, type Harness } from '../support/harness/harness.ts';
import { binfmtStatus, buildArm64Images } from '../support/rigs/platforms.ts';
import { startSshEndpoint } from '../support/rigs/ssh-endpoint.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/*
 * Several Docker engines: the shared one and further dockerds on this machine, each with its
 * own socket, data root and bridge (test/support/rigs/extra-dockerd.ts), reached as a user's remote
 * build hosts would be (unix socket, TCP with TLS, SSH). Runners use the host's network, so
 * 127.0.0.1 reaches the fake GitHub from every engine.
 */

const LABEL = 'io.runner-autoscaler.controller';
const MAIN = { name: 'main', endpoint: 'unix:///var/run/docker.sock' };

let h: Harness;
const extras: ExtraDockerd[] = [];
harnessForEachTest((made) => (h = made), {
  afterCleanup: async () => {
    for (const engine of extras.splice(0)) await engine.destroy();
  },
});

async function extraEngine(
  name: string,
  options: Parameters<typeof startExtraDockerd>[0] = { name },
) {
  const engine = await startExtraDockerd(options);
  extras.push(engine);
  await loadImages(engine.docker, [STUB_IMAGE]);
  return engine;
}

const runnersOn = async (engine: Docker) =>
  (await engine.listContainers({ all: true, filters: { label: [`${LABEL}=${h.controllerId}`] } }))
    .length;

/** Samples the runner containers of each engine until stopped: the greatest count of each and of all. */
function sampleEngines(engines: Record<string, Docker>) {
  const max: Record<string, number> = {};
  let total = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const counts = await Promise.all(
        Object.entries(engines).map(async ([name, engine]) => {
          const count = await runnersOn(engine).catch(() => 0);
          max[name] = Math.max(max[name] ?? 0, count);
          return count;
        }),
      );
      total = Math.max(
        total,
        counts.reduce((a, b) => a + b, 0),
      );
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { max, total };
    },
  };
}

const health = async () =>
  (await (await fetch(`${h.controller?.url ?? ''}/health`)).json()) as {
    docker: { engines: { name: string; up: boolean; endpoint: string; platforms: string[] }[] };
    warnings: string[];
  };

const allCompleted = (ids: number[]) => ids.every((id) => h.fake.job(id)?.status === 'completed');

async function noneLeftOn(...engines: Docker[]) {
  try {
    await waitUntil(
      async () => (await Promise.all(engines.map(runnersOn))).every((count) => count === 0),
      30_000,
      'no runner container left on any engine',
    );
  } catch (error) {
    for (const engine of engines) {
      const left = await engine.listContainers({
        all: true,
        filters: { label: [`${LABEL}=${h.controllerId}`] },
      });
      console.log(left.map((c) => `${c.Names[0] ?? ''} ${c.State} ${c.Status}`));
    }
    throw error;
  }
}

describe('two engines', () => {
  it('spread 20 jobs within each engine capacity, the global cap holding over both', async () => {
    const second = await extraEngine('second');
    await h.start({
      MAX_RUNNERS: '4',
      DOCKER_ENGINES: JSON.stringify([
        { ...MAIN, capacity: 3 },
        { name: 'second', endpoint: second.endpoint, capacity: 2 },
      ]),
    });
    const sampler = sampleEngines({ main: mainEngine, second: second.docker });
    const jobs = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 800 }),
      ),
    );
    await waitUntil(() => allCompleted(jobs.map((j) => j.id)), 120_000, 'all 20 jobs completed');
    const { max, total } = await sampler.stop();
    expect(total).toBeLessThanOrEqual(4);
    expect(max.main).toBeLessThanOrEqual(3);
    expect(max.second).toBeLessThanOrEqual(2);
    expect(max.second).toBeGreaterThanOrEqual(1);
    await noneLeftOn(mainEngine, second.docker);
  });

  it('finish a burst on the first when the second goes away, and adopt the second when it returns', async () => {
    const second = await extraEngine('flaky');
    await h.start({
      MAX_RUNNERS: '6',
      DOCKER_ENGINES: JSON.stringify([
        { ...MAIN, capacity: 3 },
        { name: 'flaky', endpoint: second.endpoint, capacity: 3 },
      ]),
    });
    const jobs = await Promise.all(
      Array.from({ length: 12 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 3_000 }),
      ),
    );
    await waitUntil(
      async () => (await runnersOn(second.docker)) >= 2,
      30_000,
      'runners on the second',
    );
    // What ran on the second engine dies with it (GitHub would fail those jobs); the rest must complete.
    const onSecond = new Set(
      (
        await second.docker.listContainers({ filters: { label: [`${LABEL}=${h.controllerId}`] } })
      ).map((c) => c.Labels['io.runner-autoscaler.runner-name']),
    );
    await second.stop({ how: 'crash' });
    await waitUntil(
      async () => (await health()).docker.engines.some((e) => e.name === 'flaky' && !e.up),
      30_000,
      'the second engine reported down',
    );
    const lost = () =>
      jobs.filter((job) => {
        const runner = h.fake.job(job.id)?.runnerName ?? undefined;
        return (
          runner !== undefined && onSecond.has(runner) && h.fake.job(job.id)?.status !== 'completed'
        );
      });
    await waitUntil(
      () => jobs.every((job) => lost().includes(job) || h.fake.job(job.id)?.status === 'completed'),
      120_000,
      'every job not lost with the second engine completed on the first',
    );
    expect(jobs.length - lost().length).toBeGreaterThanOrEqual(9);
    await second.start();
    await waitUntil(
      async () => (await health()).docker.engines.every((e) => e.up),
      30_000,
      'the second engine up again',
    );
    // Its dead runners are found by label and removed: nothing counted twice, nothing left.
    await noneLeftOn(mainEngine, second.docker);
    expect((await health()).warnings.filter((w) => w.includes('flaky'))).toEqual([]);
  });
});

describe('an engine that stops answering while its runners run on', () => {
  it('keeps counting them against the caps, and adopts them when it answers again', async () => {
    const second = await extraEngine('live', { name: 'live', liveRestore: true });
    await h.start({
      MAX_RUNNERS: '4',
      DOCKER_ENGINES: JSON.stringify([
        { ...MAIN, capacity: 3 },
        { name: 'live', endpoint: second.endpoint, capacity: 2 },
      ]),
    });
    // The engine is frozen (SIGSTOP: it accepts connections and answers nothing) while its
    // runners run on; the controller finds it down once a listing times out (30 s), so the jobs
    // outlast that. (A live-restore shutdown kept answering for up to 10 s here, while the jobs
    // ended, and a container writing its log while dockerd is gone does not run on.)
    const jobs = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.fake.queueJob({ labels: ['self-hosted'], durationMs: 45_000 }),
      ),
    );
    await waitUntil(
      async () => (await runnersOn(second.docker)) === 2,
      30_000,
      'two runners on the second',
    );
    // Frozen only once all four took their jobs (a start under way would hang with it).
    await waitUntil(
      () => jobs.filter((job) => h.fake.job(job.id)?.status === 'in_progress').length >= 4,
      30_000,
      'four jobs in progress',
    );
    await second.freeze();
    await waitUntil(
      async () => (await health()).docker.engines.some((e) => e.name === 'live' && !e.up),
      45_000,
      'the second engine reported down',
    );
    // Its two runners still run their jobs: the main engine gets no more than the other two until
    // the first four jobs (two on each engine) are done; then the engine answers again.
    const sampler = sampleEngines({ main: mainEngine });
    await waitUntil(
      () => jobs.filter((job) => h.fake.job(job.id)?.status === 'completed').length >= 4,
      60_000,
      'the first four jobs completed, two of them on the engine that is down',
    );
    second.thaw();
    const { max } = await sampler.stop();
    expect(max.main).toBeLessThanOrEqual(2);
    await waitUntil(() => allCompleted(jobs.map((j) => j.id)), 120_000, 'every job completed');
    const runners = jobs.map((job) => h.fake.job(job.id)?.runnerName);
    expect(new Set(runners).size).toBe(jobs.length);
    await noneLeftOn(mainEngine, second.docker);
  }, 240_000);
});

describe('remote engines', () => {
  it('serves jobs on an engine over TCP with TLS client files, showing no file in /health', async () => {
    const remote = await extraEngine('tls', { name: 'tls', tcp: { tls: true } });
    const tls = remote.tls;
    if (!tls) throw new Error('the TLS engine has no client files');
    await h.start({
      DOCKER_ENGINES: JSON.stringify([
        {
          name: 'tls',
          endpoint: remote.endpoint,
          tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
          capacity: 2,
        },
      ]),
    });
    const jobs = await Promise.all(
      [1, 2, 3].map(() => h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 })),
    );
    await waitUntil(() => allCompleted(jobs.map((j) => j.id)), 60_000, 'jobs served over TLS');
    const report = await health();
    expect(report.docker.engines).toEqual([
      expect.objectContaining({ name: 'tls', up: true, endpoint: `${remote.endpoint} (tls)` }),
    ]);
    expect(JSON.stringify(report)).not.toContain(tls.key);
    await noneLeftOn(remote.docker);
  });

  it('serves jobs on an engine over SSH, trusting only the host key known_hosts lists', async () => {
    const remote = await extraEngine('ssh');
    const ssh = await startSshEndpoint({ name: 'engines', dockerHost: remote.endpoint });
    try {
      await h.start({
        DOCKER_ENGINES: JSON.stringify([
          {
            name: 'ssh',
            endpoint: ssh.endpoint,
            ssh_key_file: ssh.privateKeyFile,
            ssh_known_hosts_file: ssh.knownHostsFile,
            capacity: 2,
          },
        ]),
      });
      const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
      await waitUntil(() => allCompleted([job.id]), 60_000, 'a job served over SSH');
      await noneLeftOn(remote.docker);
    } finally {
      await ssh.destroy();
    }
  });
});

describe('pools by architecture', () => {
  const repos = (runnerArm64: string) => ({
    repositories: [
      {
        id: 'app',
        github_url: `https://github.com/${h.fake.defaultRepo.owner}/${h.fake.defaultRepo.name}`,
        github_token: h.fake.token,
        webhook_secret: 'integration-secret',
        pools: [
          { id: 'x64', runner_labels: 'self-hosted,linux,x64', platform: 'linux/amd64' },
          {
            id: 'arm64',
            runner_labels: 'self-hosted,linux,arm64',
            platform: 'linux/arm64',
            runner_image: runnerArm64,
          },
        ],
      },
    ],
  });

  it('serve an x64 and an arm64 job of one repository through one webhook, the arm64 one emulated', async () => {
    // .ci/ensure-docker.sh registers qemu-user-static for arm64 (binfmt_misc, flag F).
    expect(binfmtStatus('aarch64')).toBe('enabled');
    buildArm64Images();
    await h.startRepos(repos('autoscaler-test/runner-stub:arm64'), {
      [`${h.fake.defaultRepo.owner}/${h.fake.defaultRepo.name}`]: 'app',
    });
    await waitUntil(
      async () => (await health()).docker.engines[0]?.platforms.includes('linux/arm64'),
      20_000,
      'the engine found to emulate arm64',
    );
    const x64 = await h.fake.queueJob({ labels: ['self-hosted', 'linux', 'x64'], durationMs: 300 });
    const arm = await h.fake.queueJob({ labels: ['self-hosted', 'arm64'], durationMs: 300 });
    await waitUntil(() => allCompleted([x64.id, arm.id]), 60_000, 'both jobs completed');
    const webhook = h.fake.deliveries().filter((d) => d.event === 'workflow_job');
    expect(new Set(webhook.map((d) => d.url))).toEqual(new Set([`${h.url}/webhook/app`]));
    await noneLeftOn(mainEngine);
  });

  it('refuse a pool no engine can run, saying so, and serve the others', async () => {
    await h.startRepos(
      repos(STUB_IMAGE),
      { [`${h.fake.defaultRepo.owner}/${h.fake.defaultRepo.name}`]: 'app' },
      {
        DOCKER_ENGINES: JSON.stringify([{ ...MAIN, capacity: 2, platforms: ['linux/amd64'] }]),
      },
    );
    const arm = await h.fake.queueJob({ labels: ['self-hosted', 'arm64'], durationMs: 300 });
    const x64 = await h.fake.queueJob({ labels: ['self-hosted', 'x64'], durationMs: 300 });
    await waitUntil(() => allCompleted([x64.id]), 30_000, 'the x64 job served');
    const report = await health();
    expect(report.warnings.join('\n')).toMatch(
      /app\/arm64: no engine can run it \(linux\/arm64; engines: main: linux\/amd64\)/,
    );
    expect(h.fake.job(arm.id)?.status).toBe('queued');
    expect(
      h.controller
        ?.logs()
        .some((l) => l.msg === 'pool refused: no engine can run it' && l.pool === 'app/arm64'),
    ).toBe(true);
    await noneLeftOn(mainEngine);
  });
});
