import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { docker as sharedEngine } from '../support/harness/docker-cleanup.ts';
import { loadImages } from '../support/rigs/engine-images.ts';
import { startExtraDockerd, type ExtraDockerd } from '../support/rigs/extra-dockerd.ts';
import { isGone } from '../support/rigs/host-processes.ts';
import { reapLeftoverRigs } from '../support/rigs/rig-cleanup.ts';
import {
  BUSYBOX,
  STUB,
  TEST_LABELS,
  answers,
  cgroupDir,
  engineInfo,
  links,
  rigIsGone,
  sharedBridge,
  sleeper,
} from '../support/rigs/rig-checks.ts';

describe('an extra dockerd next to the shared one', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-plain' });
    await loadImages(engine.docker, [STUB]);
  });
  afterAll(async () => {
    await engine?.destroy();
    if (engine) await rigIsGone(engine);
  });

  it('is an engine of its own: own ID, data root, image store, bridge', async () => {
    const [info, shared] = await Promise.all([engineInfo(engine.docker), engineInfo(sharedEngine)]);
    expect(info.ID).not.toBe(shared.ID);
    expect(info.DockerRootDir).toBe(join(engine.root, 'data'));
    expect(info.Labels).toContain('io.runner-autoscaler.test.engine=rig-plain');
    expect(engine.endpoint).toBe(`unix://${engine.socketPath}`);
    // Its own image store: what it has was loaded into it.
    await expect(engine.docker.getImage(BUSYBOX).inspect()).rejects.toThrow(/No such image/);
    expect((await sharedEngine.getImage(BUSYBOX).inspect()).Id).toMatch(/^sha256:/);
    const networks = (await engine.docker.listNetworks()).map((n) => n.Name).sort();
    expect(networks).toEqual(['bridge', 'host', 'none']);
    const bridge = z
      .object({ Options: z.record(z.string(), z.string()) })
      .parse(await engine.docker.getNetwork('bridge').inspect());
    expect(bridge.Options['com.docker.network.bridge.name']).toBe(engine.bridge);
    expect(links()).toContain(await sharedBridge());
  });

  it('gets images from the shared engine, once', async () => {
    const first = await loadImages(engine.docker, [BUSYBOX]);
    expect(first).toEqual({ loaded: [BUSYBOX], skipped: [] });
    const again = await loadImages(engine.docker, [BUSYBOX, STUB]);
    expect(again).toEqual({ loaded: [], skipped: [BUSYBOX, STUB] });
    const [here, there] = await Promise.all([
      engine.docker.getImage(BUSYBOX).inspect(),
      sharedEngine.getImage(BUSYBOX).inspect(),
    ]);
    expect(here.Id).toBe(there.Id);
  });

  it('runs containers that the shared engine does not see', async () => {
    const { container } = await sleeper(engine.docker, 'rig-plain-visible');
    const mine = await engine.docker.listContainers({ filters: { name: ['rig-plain-visible'] } });
    expect(mine).toHaveLength(1);
    const shared = await sharedEngine.listContainers({
      all: true,
      filters: { name: ['rig-plain-visible'] },
    });
    expect(shared).toEqual([]);
    await container.remove({ force: true });
  });

  it('gives containers an address on its bridge, and the host at the gateway', async () => {
    const server = createServer((_req, res) => res.end('host here'));
    await new Promise<void>((resolve) => server.listen(0, engine.gateway, resolve));
    try {
      const { port } = z.object({ port: z.number() }).parse(server.address());
      const container = await engine.docker.createContainer({
        Image: STUB,
        Entrypoint: [
          'sh',
          '-c',
          `ip -4 -o addr show eth0 && wget -q -O - http://${engine.gateway}:${port}/`,
        ],
        Labels: TEST_LABELS,
      });
      await container.start();
      expect(await container.wait()).toMatchObject({ StatusCode: 0 });
      const output = (await container.logs({ stdout: true })).toString();
      const subnet = engine.gateway.replace(/\.1$/, '.').replaceAll('.', '\\.');
      expect(output).toMatch(new RegExp(`inet ${subnet}\\d+/24`));
      expect(output).toContain('host here');
      await container.remove({ force: true });
    } finally {
      server.close();
    }
  });

  it('freezes (accepts, never answers) and thaws', async () => {
    try {
      await engine.freeze();
      expect(await answers(engine.socketPath)).toBe(false);
    } finally {
      engine.thaw();
    }
    expect(await answers(engine.socketPath)).toBe(true);
  });

  it('shuts down stopping its containers, and returns with them exited', async () => {
    const { container, pid } = await sleeper(engine.docker, 'rig-plain-shutdown');
    await engine.stop();
    expect(engine.running()).toBe(false);
    expect(await answers(engine.socketPath)).toBe(false);
    expect(isGone(pid)).toBe(true);
    await engine.start();
    const info = await container.inspect();
    expect(info.State.Running).toBe(false);
    await container.remove({ force: true });
  });

  it('crashes with everything on it, and returns with its containers exited', async () => {
    const { container, pid } = await sleeper(engine.docker, 'rig-plain-crash');
    await engine.stop({ how: 'crash' });
    expect(await answers(engine.socketPath)).toBe(false);
    expect(isGone(pid)).toBe(true);
    await engine.start();
    const info = await container.inspect();
    expect(info.State.Running).toBe(false);
    expect(info.Config.Labels).toMatchObject(TEST_LABELS);
  });
});

describe('an extra dockerd with live-restore', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-live', liveRestore: true });
    await loadImages(engine.docker, [STUB]);
  });
  afterAll(async () => {
    await engine?.destroy();
    if (engine) await rigIsGone(engine);
  });

  it('goes away while its containers run on, and finds them again', async () => {
    const { container, pid } = await sleeper(engine.docker, 'rig-live-survivor');
    const startedAt = (await container.inspect()).State.StartedAt;
    await engine.stop();
    expect(await answers(engine.socketPath)).toBe(false);
    expect(isGone(pid)).toBe(false);
    await engine.start();
    const info = await container.inspect();
    expect(info.State).toMatchObject({ Running: true, Pid: pid, StartedAt: startedAt });
  });
});

describe('leftovers of a test process that died', () => {
  it('are removed by the next rig that starts, running containers and all', async () => {
    const engine = await startExtraDockerd({ name: 'rig-orphan' });
    await loadImages(engine.docker, [STUB]);
    const { container, pid } = await sleeper(engine.docker, 'rig-orphan-running');
    const cgroup = cgroupDir(pid);
    expect(cgroup).toContain(container.id);
    expect(existsSync(cgroup)).toBe(true);
    const dead = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"'], { encoding: 'utf8' }));
    writeFileSync(join(engine.root, 'owner'), String(dead));
    expect(await reapLeftoverRigs()).toContain(engine.root);
    await rigIsGone(engine);
    expect(isGone(pid)).toBe(true);
    expect(existsSync(cgroup)).toBe(false);
  });
});
