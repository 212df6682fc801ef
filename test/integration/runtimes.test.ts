import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { docker as sharedEngine } from '../support/harness/docker-cleanup.ts';
import { loadImages } from '../support/rigs/engine-images.ts';
import {
  RUNSC_RUNTIME,
  startExtraDockerd,
  type ExtraDockerd,
} from '../support/rigs/extra-dockerd.ts';
import { createHarness, STUB_IMAGE, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/*
 * Isolation tiers: a pool names the OCI runtime of its runners (runner_runtime). gVisor (runsc,
 * Debian's build) is registered on an extra dockerd of this machine only; the shared engine
 * offers runc alone, as on a fresh machine. Runners use the host's network (127.0.0.1 reaches
 * the fake GitHub), which runsc passes through (RUNSC_RUNTIME); there a blocking read of a socket
 * fails with EAGAIN, so the sandboxed runners are the stub with a client that polls first.
 */

/** The stub with an HTTP client that runsc's host network serves (runner-stub-gvisor/). */
const GVISOR_STUB = 'autoscaler-test/runner-stub-gvisor:local';
/** The pool under test: no Docker for its jobs, its runners under gVisor. */
const SANDBOXED = {
  id: 'sandboxed',
  runner_labels: ['self-hosted', 'sandboxed'],
  runner_docker_mode: 'none',
  runner_runtime: 'runsc',
  runner_image: GVISOR_STUB,
};
const ROOT = new URL('../..', import.meta.url).pathname;
const CONTROLLER = 'io.runner-autoscaler.controller';
const SHARED = { name: 'shared', endpoint: 'unix:///var/run/docker.sock' };

let h: Harness;
let gvisor: ExtraDockerd;

beforeAll(async () => {
  gvisor = await startExtraDockerd({ name: 'gvisor', runtimes: RUNSC_RUNTIME });
  await loadImages(gvisor.docker, [STUB_IMAGE, GVISOR_STUB]);
});
afterAll(async () => {
  await gvisor?.destroy();
});
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async (context) => {
  await h.cleanup(context);
  // The harness removes what the controller left on the shared engine; this engine is ours.
  for (const c of await runnersOf(gvisor.docker))
    await gvisor.docker.getContainer(c.Id).remove({ force: true, v: true });
});

const runnersOf = (engine: Docker) =>
  engine.listContainers({ all: true, filters: { label: [`${CONTROLLER}=${h.controllerId}`] } });

/** repos.json with one entry on the fake GitHub's repository, holding these pools. */
const reposWith = (pools: object[]) => ({
  repositories: [
    {
      id: 'app',
      github_url: `https://github.com/${h.fake.defaultRepo.owner}/${h.fake.defaultRepo.name}`,
      github_api_url: h.fake.apiUrl,
      github_token: h.fake.token,
      webhook_secret: 'integration-secret',
      pools,
    },
  ],
});
const routes = () => ({ [`${h.fake.defaultRepo.owner}/${h.fake.defaultRepo.name}`]: 'app' });

/** Runs a command in a running container, as its root user; its output. */
async function exec(engine: Docker, id: string, cmd: string[]): Promise<string> {
  const run = await engine.getContainer(id).exec({ Cmd: cmd, AttachStdout: true });
  const stream = await run.start({ Detach: false, Tty: true });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const health = async () =>
  (await (await fetch(`${h.controller?.url ?? ''}/health`)).json()) as {
    docker: { engines: { name: string; runtimes: string[] | null }[] };
    repositories: { pools: { id: string; healthy: boolean }[] }[];
    warnings: string[];
  };

describe('a none-mode pool with runner_runtime runsc', () => {
  it('runs its runners under gVisor, only on the engine that offers it', async () => {
    await h.startRepos(
      reposWith([
        SANDBOXED,
        { id: 'plain', runner_labels: ['self-hosted', 'linux'], runner_docker_mode: 'none' },
      ]),
      routes(),
      {
        MAX_RUNNERS: '6',
        DOCKER_ENGINES: JSON.stringify([
          { ...SHARED, capacity: 3 },
          { name: 'gvisor', endpoint: gvisor.endpoint, capacity: 3 },
        ]),
      },
    );
    // Said at start, by name: the shared engine gets none of the pool's runners.
    const lack = h.controller
      ?.logs()
      .find((l) => l.msg === 'engine lacks a runtime: no runner of the pool goes there');
    expect(lack).toMatchObject({
      pool: 'app/sandboxed',
      setting: 'runner_runtime',
      runtime: 'runsc',
      engine: 'shared',
    });
    const sandboxed = await h.fake.queueJob({
      labels: ['self-hosted', 'sandboxed'],
      durationMs: 8_000,
    });
    // More plain jobs than the shared engine holds: the rest go to the gVisor engine, under runc.
    const plain = await Promise.all(
      Array.from({ length: 4 }, () =>
        h.fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 4_000 }),
      ),
    );
    await h.fake.waitFor(
      () => h.fake.job(sandboxed.id)?.status === 'in_progress',
      60_000,
      'the sandboxed job taken',
    );
    const name = h.fake.job(sandboxed.id)?.runnerName ?? '';
    const [container] = (await runnersOf(gvisor.docker)).filter((c) =>
      c.Names.includes(`/${name}`),
    );
    expect(container, `runner ${name} on the gVisor engine`).toBeDefined();
    const inspected = await gvisor.docker.getContainer(container?.Id ?? '').inspect();
    expect(inspected.HostConfig.Runtime).toBe('runsc');
    // Inside, the kernel is gVisor's: its /proc/version and its own boot messages.
    const version = await exec(gvisor.docker, inspected.Id, ['cat', '/proc/version']);
    const dmesg = await exec(gvisor.docker, inspected.Id, ['dmesg']);
    expect(dmesg).toContain('Starting gVisor');
    expect(version).not.toBe(await hostKernel());
    await h.fake.waitFor(
      () => [sandboxed, ...plain].every((job) => h.fake.job(job.id)?.status === 'completed'),
      120_000,
      'all jobs completed',
    );
    const { warnings, docker, repositories } = await health();
    expect(docker.engines.find((e) => e.name === 'gvisor')?.runtimes).toContain('runsc');
    expect(docker.engines.find((e) => e.name === 'shared')?.runtimes).not.toContain('runsc');
    expect(warnings).toContain(
      `pool app/sandboxed: runner_runtime "runsc" is not offered by engine shared (it offers: ${(await runtimesOf(sharedEngine)).join(', ')})`,
    );
    expect(repositories[0]?.pools.every((pool) => pool.healthy)).toBe(true);
    await waitUntil(
      async () =>
        (await runnersOf(gvisor.docker)).length + (await runnersOf(sharedEngine)).length === 0,
      30_000,
      'no runner container left',
    );
  });

  it('waits for an engine down at start, and is served once it answers with runsc', async () => {
    await gvisor.stop();
    try {
      await h.startRepos(reposWith([SANDBOXED]), routes(), {
        DOCKER_ENGINES: JSON.stringify([
          { ...SHARED, capacity: 2 },
          { name: 'gvisor', endpoint: gvisor.endpoint, capacity: 2 },
        ]),
      });
      const job = await h.fake.queueJob({ labels: ['self-hosted', 'sandboxed'], durationMs: 500 });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // Nothing on the engine that lacks runsc, however long the job waits.
      expect(await runnersOf(sharedEngine)).toEqual([]);
      expect(h.fake.job(job.id)?.status).toBe('queued');
      expect(
        h.controller
          ?.logs()
          .some(
            (l) => l.msg === 'docker engine does not answer: its runtimes are checked when it does',
          ),
      ).toBe(true);
      await gvisor.start();
      await h.fake.waitFor(
        () => h.fake.job(job.id)?.status === 'completed',
        90_000,
        'job completed',
      );
      expect(await runnersOf(sharedEngine)).toEqual([]);
    } finally {
      if (!gvisor.running()) await gvisor.start();
    }
  });
});

describe('a pool naming a runtime no engine offers', () => {
  it('fails the start before listening, naming pool, runtime, engine and what it offers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'autoscaler-runtimes-'));
    try {
      const repos = reposWith([
        { id: 'kata', runner_docker_mode: 'none', runner_runtime: 'kata-runtime' },
        { id: 'sysbox', runner_labels: ['self-hosted', 'sysbox'], dind_runtime: 'sysbox-runc' },
        {
          id: 'fine',
          runner_labels: ['self-hosted', 'fine'],
          runner_docker_mode: 'none',
          runner_runtime: 'runsc',
          runner_image: GVISOR_STUB,
        },
      ]);
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'controller/src/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          REPOS_CONFIG_FILE: h.writeFile('repos.json', JSON.stringify(repos)),
          DOCKER_ENGINES: JSON.stringify([
            { ...SHARED, capacity: 2 },
            { name: 'gvisor', endpoint: gvisor.endpoint, capacity: 2 },
          ]),
          CONTROLLER_ID: h.controllerId,
          DATA_DIR: dataDir,
          PORT: '0',
        },
        encoding: 'utf8',
        timeout: 30_000,
      });
      const output = `${result.stdout}${result.stderr}`;
      expect(result.status, output).toBe(1);
      const offers = async (engine: Docker) => (await runtimesOf(engine)).join(', ');
      const [shared, sandboxing] = [await offers(sharedEngine), await offers(gvisor.docker)];
      expect(output).toContain(
        [
          'controller failed to start: no engine offers the OCI runtime these pools need:',
          `  pool app/kata: runner_runtime "kata-runtime" is not offered by engine shared (it offers: ${shared})`,
          `  pool app/kata: runner_runtime "kata-runtime" is not offered by engine gvisor (it offers: ${sandboxing})`,
          `  pool app/sysbox: dind_runtime "sysbox-runc" is not offered by engine shared (it offers: ${shared})`,
          `  pool app/sysbox: dind_runtime "sysbox-runc" is not offered by engine gvisor (it offers: ${sandboxing})`,
        ].join('\n'),
      );
      // The pool gVisor serves is no problem, the shared engine's lack of runsc only a warning.
      expect(output).not.toMatch(/^ {2}pool app\/fine/m);
      expect(output).toContain('"pool":"app/fine","setting":"runner_runtime","runtime":"runsc"');
      expect(output).not.toContain('listening');
      expect(output).not.toContain(h.fake.token);
      // Nothing was done: no webhook secret written, no container made.
      expect(readdirSync(dataDir)).toEqual([]);
      expect(await runnersOf(gvisor.docker)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function runtimesOf(engine: Docker): Promise<string[]> {
  const info = (await engine.info()) as { Runtimes: Record<string, unknown> };
  return Object.keys(info.Runtimes).sort();
}

const hostKernel = () => readFile('/proc/version', 'utf8');
