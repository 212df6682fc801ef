/**
 * Benchmark 6: a job's `docker build` on its dind sidecar, the second time a pool's runner builds
 * the same Dockerfile with the pool's build cache (dind_cache_volumes), against the first (cold)
 * build in the same round. Needs a Docker engine and the dind test images
 * (test/support/images/build-dind-images.sh, about two minutes the first time).
 */
import { execFileSync } from 'node:child_process';
import { DIND_IMAGE, reportOf } from '../test/support/images/dind-helpers.ts';
import { createHarness, SECRET } from '../test/support/harness/harness.ts';
import { createTestNetwork } from '../test/support/harness/test-network.ts';
import { waitUntil } from '../test/support/harness/wait-until.ts';
import type { BenchResult } from './result.ts';
import { median } from './stats.ts';

const ROUNDS = 3;
const ROOT = new URL('..', import.meta.url).pathname;
const CACHE_STUB = 'autoscaler-test/runner-stub-cache:local';

/** One round: a fresh controller and cache volume, two jobs of one pool one after the other. */
async function round(): Promise<{ cold: number; warm: number; cached: number }> {
  const net = await createTestNetwork('autoscaler-bench');
  const h = await createHarness({ host: net.gateway });
  try {
    await h.startRepos(
      {
        repositories: [
          {
            id: 'bench',
            github_url: 'https://github.com/octocat/hello-world',
            max_runners: 1,
            dind_cache_volumes: 1,
          },
        ],
        defaults: {
          github_token: h.fake.token,
          webhook_secret: SECRET,
          runner_image: CACHE_STUB,
          runner_docker_mode: 'dind',
          dind_image: DIND_IMAGE,
          dind_privileged: false,
          runner_network: net.name,
        },
      },
      { 'octocat/hello-world': 'bench' },
      { LOG_LEVEL: 'info' },
    );
    const jobs = [
      await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 100 }),
      await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 100 }),
    ];
    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'completed'),
      120_000,
      'both jobs completed',
    );
    const [first, second] = jobs.map((job) => reportOf(h.fake, job.id));
    if (!first?.build_ms || !second?.build_ms)
      throw new Error(
        `a job reported no build time: ${JSON.stringify(jobs.map((job) => h.fake.job(job.id)?.conclusion))} ${JSON.stringify(h.fake.reports())}`,
      );
    return { cold: first.build_ms, warm: second.build_ms, cached: second.cached_steps ?? 0 };
  } finally {
    await h.cleanup();
    await net.remove();
  }
}

export async function benchBuildCache(): Promise<BenchResult> {
  execFileSync('sh', ['test/support/images/build-dind-images.sh'], { cwd: ROOT, stdio: 'ignore' });
  const rounds: { cold: number; warm: number; cached: number }[] = [];
  for (let i = 0; i < ROUNDS; i += 1) rounds.push(await round());
  const cold = median(rounds.map((r) => r.cold));
  const warm = median(rounds.map((r) => r.warm));
  return {
    title: '6. Build cache of a dind pool',
    baseline: "the first, cold build of the same Dockerfile by the pool's first runner",
    rows: [
      {
        measure: '`docker build`, second job (cache volume kept)',
        unit: 'ms',
        value: warm,
        baseline: cold,
        pairedRatio: median(rounds.map((r) => r.warm / r.cold)),
      },
    ],
    shows:
      `With dind_cache_volumes the second job's build of the same Dockerfile takes ` +
      `${warm.toFixed(0)} ms against ${cold.toFixed(0)} ms cold: every step ` +
      `(${Math.min(...rounds.map((r) => r.cached))} or more) comes from the layers the first ` +
      `job left in the pool's volume, while its containers and volumes were removed.`,
    method:
      `${ROUNDS} rounds, each a fresh controller process with one dind pool (one runner at a ` +
      `time, one cache volume, the unprivileged sidecar on a network of its own) and two jobs ` +
      `of the runner-stub-cache image: a FROM scratch Dockerfile with a COPY of busybox and two ` +
      `RUN steps (64 MiB from /dev/urandom through gzip -1, then its sha256). Times are the ` +
      `wall time of \`docker build\` inside the job, as the job reports it; medians of the ` +
      `rounds. The sidecar is Debian's docker.io 20.10 (the docker:dind stand-in here).`,
  };
}
