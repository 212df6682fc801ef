import { describe, expect, it } from 'vitest';
import {
  DIND_IMAGE,
  dindHarnessForEachTest,
  LABEL,
  reportOf,
} from '../support/images/dind-helpers.ts';
import { docker, noLeftovers, runnerContainers } from '../support/harness/docker-cleanup.ts';
import { SECRET, STUB_IMAGE, type Harness } from '../support/harness/harness.ts';
import type { TestNetwork } from '../support/harness/test-network.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// Limits per pool, for the runner and its sidecar. Four pools run at once: a job that starts
// more processes than its runner may, one that takes more memory than its runner may, one whose
// container on its sidecar's engine starts more processes than the sidecar may, and a calm one
// with the same limits. Each hog fails alone; the calm job and the controller go on.
const REPO_URL = 'https://github.com/octocat/hello-world';
const MiB = 2 ** 20;

let net: TestNetwork;
let h: Harness;
dindHarnessForEachTest((made) => ({ h, net } = made));

const calmLimits = {
  runner_cpus: 0.5,
  runner_memory: '64m',
  runner_pids_limit: 64,
  runner_shm_size: '32m',
  runner_stop_timeout_seconds: 5,
  runner_container_labels: { team: 'ci' },
};

describe('limits per pool', () => {
  it('reach the containers, and a job above its pids or memory limit fails alone', async () => {
    const none = { runner_docker_mode: 'none', runner_network: 'host' };
    await h.startRepos(
      {
        repositories: [
          {
            id: 'app',
            github_url: REPO_URL,
            pools: [
              {
                id: 'forks',
                runner_labels: 'self-hosted,forks',
                runner_image: 'autoscaler-test/runner-stub-forks:local',
                runner_pids_limit: 64,
                ...none,
              },
              {
                id: 'memory',
                runner_labels: 'self-hosted,memory',
                runner_image: 'autoscaler-test/runner-stub-memory:local',
                runner_memory: '64m',
                ...none,
              },
              {
                id: 'nested',
                runner_labels: 'self-hosted,nested',
                runner_image: 'autoscaler-test/runner-stub-nested:local',
                runner_docker_mode: 'dind',
                runner_network: net.name,
                dind_image: DIND_IMAGE,
                dind_privileged: false,
                dind_pids_limit: 250,
                dind_memory: '512m',
              },
              {
                id: 'calm',
                runner_labels: 'self-hosted,calm',
                runner_image: STUB_IMAGE,
                ...calmLimits,
                ...none,
              },
            ],
          },
        ],
        defaults: { github_token: h.fake.token, webhook_secret: SECRET },
      },
      { 'octocat/hello-world': 'app' },
    );
    const job = (label: string, durationMs: number) =>
      h.fake.queueJob({ labels: ['self-hosted', label], durationMs });
    // The calm job lasts long enough for the containers to be inspected while they run.
    const calm = await job('calm', 6_000);
    const hogs = {
      forks: await job('forks', 1_000),
      memory: await job('memory', 1_000),
      nested: await job('nested', 1_000),
    };

    const byPool = await waitUntil(
      async () => {
        const runners = await runnerContainers(h.controllerId);
        const pools = new Map(runners.map((r) => [r.Labels[LABEL.pool], r.Id]));
        return pools.has('app/calm') && pools.has('app/nested') ? pools : undefined;
      },
      30_000,
      'the calm and the nested runner',
    );
    const calmInfo = await docker.getContainer(byPool.get('app/calm') ?? '').inspect();
    expect(calmInfo.HostConfig).toMatchObject({
      NanoCpus: 0.5e9,
      Memory: 64 * MiB,
      MemorySwap: 64 * MiB,
      PidsLimit: 64,
      ShmSize: 32 * MiB,
      NetworkMode: 'host',
    });
    // Not in dockerode's types, but in the engine's answer.
    expect((calmInfo.Config as { StopTimeout?: number }).StopTimeout).toBe(5);
    expect(calmInfo.Config.Labels).toMatchObject({ team: 'ci', [LABEL.pool]: 'app/calm' });
    const [sidecar] = await runnerContainers(h.controllerId, 'dind');
    const sidecarInfo = await docker.getContainer(sidecar?.Id ?? '').inspect();
    expect(sidecarInfo.HostConfig).toMatchObject({
      PidsLimit: 250,
      Memory: 512 * MiB,
      NetworkMode: net.name,
    });

    const all = [calm, ...Object.values(hogs)];
    await waitUntil(
      () => all.every((j) => h.fake.job(j.id)?.status === 'completed'),
      90_000,
      'every job completed',
    );
    expect(h.fake.job(calm.id)?.conclusion).toBe('success');
    expect(Object.values(hogs).map((j) => h.fake.job(j.id)?.conclusion)).toEqual([
      'failure',
      'failure',
      'failure',
    ]);
    // Stopped by their limits: fewer processes than asked for, dd killed (SIGKILL: 137).
    expect(reportOf(h.fake, hogs.forks.id)?.forks).toBeLessThan(64);
    expect(reportOf(h.fake, hogs.memory.id)?.memory_status).toBe(137);
    // The sidecar's limit held for the container the job ran on its engine.
    expect(reportOf(h.fake, hogs.nested.id)?.nested_forks).toBeLessThan(250);
    const health = (await (await fetch(`${h.controller?.url}/health`)).json()) as {
      status: string;
    };
    expect(health.status).toBe('ok');
    await noLeftovers(h.controllerId);
  });
});
