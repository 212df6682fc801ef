import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DIND_IMAGE,
  dindHarnessForEachTest,
  reportOf,
  runningSidecars,
} from '../support/images/dind-helpers.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import type { Harness } from '../support/harness/harness.ts';
import type { TestNetwork } from '../support/harness/test-network.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// A registry mirror for the dind sidecars (DIND_REGISTRY_MIRROR): a pull-through cache. Docker
// Hub cannot be reached here, so a local distribution server plays it (the upstream); a second
// one, with REGISTRY_PROXY_REMOTEURL pointing at the upstream, is the mirror, as the `mirror`
// profile of docker-compose.autoscale.yml runs registry:2 in front of Docker Hub.
const run = promisify(execFile);
const REGISTRY_IMAGE = 'autoscaler-test/registry:local';
const PULL_STUB = 'autoscaler-test/runner-stub-pull:local';
const TEST_LABEL = { 'io.runner-autoscaler.test': 'true' };
// What the job pulls: `mirror-probe:latest`, that is docker.io/library/mirror-probe:latest.
const PROBE = 'library/mirror-probe:latest';

let net: TestNetwork;
let h: Harness;
let pushedTag: string | undefined;
// The registries are on the test's network; removing it removes them.
dindHarnessForEachTest(
  (made) => ({ h, net } = made),
  async () => {
    if (pushedTag)
      await docker
        .getImage(pushedTag)
        .remove()
        .catch(() => undefined);
    pushedTag = undefined;
  },
);

/** A distribution server on the test network, by name; `publish` also on a host port. */
async function startRegistry(name: string, env: string[], publish = false): Promise<number> {
  const container = await docker.createContainer({
    name,
    Image: REGISTRY_IMAGE,
    Labels: TEST_LABEL,
    Env: env,
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: {
      NetworkMode: net.name,
      ...(publish ? { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } : {}),
    },
  });
  await container.start();
  if (!publish) return 0;
  const info = await container.inspect();
  const port = Number(info.NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort);
  await waitUntil(
    () =>
      fetch(`http://127.0.0.1:${port}/v2/`).then(
        (response) => response.ok,
        () => false,
      ),
    20_000,
    `${name} answering`,
  );
  return port;
}

/** Blob downloads a registry served for the probe image, from its access log. */
async function blobGets(name: string): Promise<number> {
  const log = (await docker.getContainer(name).logs({ stdout: true, stderr: true })).toString();
  return log.split(`"GET /v2/${PROBE.replace(/:.*$/, '')}/blobs/`).length - 1;
}

describe('a registry mirror for the dind sidecars', () => {
  it("serves the second runner's docker pull: the upstream sees no blob request for it", async () => {
    const upstream = `${net.name}-upstream`;
    const mirror = `${net.name}-mirror`;
    const port = await startRegistry(upstream, [], true);
    pushedTag = `127.0.0.1:${port}/${PROBE}`;
    await run('docker', ['tag', 'autoscaler-test/busybox:local', pushedTag]);
    await run('docker', ['push', '-q', pushedTag]);
    await startRegistry(mirror, [`REGISTRY_PROXY_REMOTEURL=http://${upstream}:5000`]);

    await h.start({
      RUNNER_DOCKER_MODE: 'dind',
      DIND_IMAGE,
      DIND_PRIVILEGED: 'false',
      RUNNER_IMAGE: PULL_STUB,
      RUNNER_NETWORK: net.name,
      DIND_REGISTRY_MIRROR: `http://${mirror}:5000`,
      // Limits of the sidecar, to see them reach its HostConfig.
      DIND_CPUS: '1',
      DIND_MEMORY: '1g',
      DIND_PIDS_LIMIT: '2000',
      MAX_RUNNERS: '1',
    });
    const first = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    const [sidecar] = await waitUntil(
      async () => {
        const list = await runningSidecars(h.controllerId);
        return list.length === 1 ? list : undefined;
      },
      30_000,
      'a sidecar',
    );
    const info = await docker.getContainer(sidecar?.id ?? '').inspect();
    expect(info.Config.Cmd).toContain(`--registry-mirror=http://${mirror}:5000`);
    expect(info.HostConfig).toMatchObject({
      NanoCpus: 1e9,
      Memory: 2 ** 30,
      MemorySwap: 2 ** 30,
      PidsLimit: 2000,
      NetworkMode: net.name,
    });
    await waitUntil(() => h.fake.job(first.id)?.status === 'completed', 60_000, 'first job');
    expect(h.fake.job(first.id)?.conclusion).toBe('success');
    const upstreamAfterFirst = await blobGets(upstream);
    const mirrorAfterFirst = await blobGets(mirror);
    // The mirror fetched the layers from the upstream to serve the first pull.
    expect(upstreamAfterFirst).toBeGreaterThan(0);
    expect(mirrorAfterFirst).toBeGreaterThan(0);

    const second = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(() => h.fake.job(second.id)?.status === 'completed', 60_000, 'second job');
    expect(h.fake.job(second.id)?.conclusion).toBe('success');
    // A fresh engine (no image before the pull) got every layer from the mirror's store.
    expect(reportOf(h.fake, second.id)?.images).toBe(0);
    expect(await blobGets(mirror)).toBeGreaterThan(mirrorAfterFirst);
    expect(await blobGets(upstream)).toBe(upstreamAfterFirst);
    const times = [first, second].map((job) => reportOf(h.fake, job.id)?.pull_ms);
    console.log(`docker pull through the mirror: first ${times[0]} ms, second ${times[1]} ms`);
  });
});
