import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDindImagesFirst } from '../support/images/dind-helpers.ts';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import {
  docker,
  leftovers,
  noLeftovers,
  runnerContainers,
} from '../support/harness/docker-cleanup.ts';
import { harnessForEachTest, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// The default RUNNER_DOCKER_MODE: each runner gets its own Docker engine in a sidecar. The
// sidecar runs a stand-in for docker:dind with the explicit capability set (DIND_PRIVILEGED=false;
// --privileged fails on this host), and the runner stub's job builds and runs an image on it.
const DIND_IMAGE = 'autoscaler-test/dind:local';
// Non-root, as the real runner image: it reaches the sidecar's socket through group 123.
const STUB_IMAGE = 'autoscaler-test/runner-stub-docker-user:local';
const DIND_ENV = {
  RUNNER_DOCKER_MODE: 'dind',
  DIND_IMAGE,
  DIND_PRIVILEGED: 'false',
  RUNNER_IMAGE: STUB_IMAGE,
  RUNNER_NETWORK: '',
};

let h: Harness;
buildDindImagesFirst();
// Runners live on the default bridge network (a dind engine must not share the host's network
// namespace), so the fake GitHub listens where they can reach it.
harnessForEachTest((made) => (h = made), {
  fake: async () => ({ host: await dockerBridgeGateway() }),
});

describe('runners with a dind sidecar', () => {
  it('give each job a fresh Docker engine that builds and runs images, and leave nothing behind', async () => {
    await h.start({ ...DIND_ENV, MAX_RUNNERS: '2' });
    // Three jobs for two slots: the third runs on a new runner after one of the first two.
    const jobs = await Promise.all(
      [1, 2, 3].map(() => h.fake.queueJob({ labels: ['self-hosted'], durationMs: 2_000 })),
    );
    const [runners, sidecars] = await waitUntil(
      async () => {
        const found = await Promise.all([
          runnerContainers(h.controllerId, 'runner'),
          runnerContainers(h.controllerId, 'dind'),
        ]);
        return found[0].length === 2 &&
          found.every((list) => list.every((c) => c.State === 'running'))
          ? found
          : undefined;
      },
      30_000,
      'two runners, each with its sidecar',
    );
    const name = (c: { Labels: Record<string, string> }) =>
      c.Labels['io.runner-autoscaler.runner-name'];
    expect(sidecars.map(name).sort()).toEqual(runners.map(name).sort());
    // Each: its engine's data root and socket, its work folder and its image's externals.
    expect((await leftovers(h.controllerId)).volumes).toBe(8);
    for (const runner of runners) {
      const { Config, HostConfig } = await docker.getContainer(runner.Id).inspect();
      expect(Config.Env).toContain('DOCKER_HOST=unix:///var/run/dind/docker.sock');
      expect(HostConfig.NetworkMode).toMatch(/^container:/);
      expect(HostConfig.Privileged).toBe(false);
    }
    const sidecar = await docker.getContainer(sidecars[0]?.Id ?? '').inspect();
    expect(sidecar.HostConfig.Privileged).toBe(false);
    // Docker's default capabilities and what dockerd needs (mounts, its network), no more.
    expect(sidecar.HostConfig.CapDrop).toEqual(['ALL']);
    expect(sidecar.HostConfig.CapAdd).toEqual(expect.arrayContaining(['SYS_ADMIN', 'NET_ADMIN']));
    expect(sidecar.HostConfig.CapAdd).not.toContain('SYS_MODULE');
    expect(sidecar.HostConfig.CapAdd).toHaveLength(16);
    // docker:dind's entrypoint, given flags only, adds tcp://0.0.0.0:2375 without TLS: an engine
    // any container on the network could drive. The sidecar listens on its sockets only.
    expect(sidecar.Config.Cmd?.[0]).toBe('dockerd');
    expect(await listeningPorts(sidecars[0]?.Id ?? '')).toEqual([]);

    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'completed'),
      90_000,
      'all three jobs completed',
    );
    // The job built and ran an image on an engine that held nothing from an earlier job.
    expect(jobs.map((job) => h.fake.job(job.id)?.conclusion)).toEqual([
      'success',
      'success',
      'success',
    ]);
    await noLeftovers(h.controllerId);
  });

  it('replace a warm runner whose sidecar died, removing both', async () => {
    await h.start({ ...DIND_ENV, MIN_IDLE_RUNNERS: '1' });
    const name = (c: { Labels: Record<string, string> }) =>
      c.Labels['io.runner-autoscaler.runner-name'];
    const running = async (role: string) =>
      (await runnerContainers(h.controllerId, role)).filter((c) => c.State === 'running');
    const [sidecar] = await waitUntil(
      async () => {
        const [runners, sidecars] = await Promise.all([running('runner'), running('dind')]);
        return runners.length === 1 && sidecars.length === 1 ? sidecars : undefined;
      },
      30_000,
      'a warm runner with its sidecar',
    );
    const lost = name(sidecar ?? { Labels: {} });
    await docker.getContainer(sidecar?.Id ?? '').kill();
    await waitUntil(
      async () => {
        const [runners, sidecars] = await Promise.all([running('runner'), running('dind')]);
        const names = [...runners, ...sidecars].map(name);
        return runners.length === 1 && sidecars.length === 1 && !names.includes(lost);
      },
      30_000,
      'the stranded runner replaced by a new warm one',
    );
    const left = await runnerContainers(h.controllerId, 'runner');
    expect(left.map(name)).not.toContain(lost);
    expect(h.controller?.logs().some((line) => line.msg === 'runner stranded, removing it')).toBe(
      true,
    );
  });
});

/** The TCP ports a container's network namespace listens on (/proc/net/tcp and tcp6). */
async function listeningPorts(containerId: string): Promise<number[]> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: ['cat', '/proc/net/tcp', '/proc/net/tcp6'],
    AttachStdout: true,
  });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => stream.on('end', resolve));
  // Lines: "sl local_address rem_address st ...", the address as HEX_IP:HEX_PORT, 0A = LISTEN.
  return Buffer.concat(chunks)
    .toString('latin1')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A')
    .map((fields) => Number.parseInt(fields[1]?.split(':')[1] ?? '', 16));
}

describe('runners with the host socket', () => {
  it('may use the host engine as the runner image user, through the socket group', async () => {
    await h.start({ RUNNER_DOCKER_MODE: 'host', RUNNER_IMAGE: STUB_IMAGE, RUNNER_NETWORK: 'host' });
    // Long enough for the runner container to be inspected before it is gone.
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 3_000 });
    const [runner] = await waitUntil(
      async () => {
        const list = await runnerContainers(h.controllerId);
        return list.length === 1 ? list : undefined;
      },
      10_000,
      'a runner',
    );
    const { HostConfig } = await docker.getContainer(runner?.Id ?? '').inspect();
    const socketGroup = String(statSync('/var/run/docker.sock').gid);
    expect(HostConfig.GroupAdd).toEqual([socketGroup]);
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 30_000, 'job completed');
    // The job's `docker version` against the host engine succeeded as uid 1001.
    expect(h.fake.job(job.id)?.conclusion).toBe('success');
    await noLeftovers(h.controllerId);
  });
});
