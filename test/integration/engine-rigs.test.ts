import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { docker as sharedEngine } from '../support/docker-cleanup.ts';
import type { ConfigProblem } from '../../controller/src/config/config-types.ts';
import { loadEngines } from '../../controller/src/config/engines.ts';
import { createDockerContext } from '../support/docker-context.ts';
import { loadImages } from '../support/engine-images.ts';
import { callApi, startFakeGitHub } from '../support/fake-github/index.ts';
import { startExtraDockerd, type ExtraDockerd } from '../support/extra-dockerd.ts';
import { isGone, processesUnder } from '../support/host-processes.ts';
import { binfmtStatus, buildArm64Images, canRunPlatform } from '../support/platforms.ts';
import { reapLeftoverRigs } from '../support/rig-cleanup.ts';
import { startSshEndpoint } from '../support/ssh-endpoint.ts';
import { makeTlsCerts } from '../support/tls-certs.ts';

const STUB = 'autoscaler-test/runner-stub:local';
const BUSYBOX = 'autoscaler-test/busybox:local';
const TEST_LABELS = { 'io.runner-autoscaler.test': 'true' };

/** A container that runs until killed (sleep as PID 1 ignores SIGTERM: StopTimeout bounds it). */
async function sleeper(docker: Docker, name: string) {
  const container = await docker.createContainer({
    name,
    Image: STUB,
    Entrypoint: ['sleep', '1000'],
    Labels: TEST_LABELS,
    StopTimeout: 1,
    HostConfig: { NetworkMode: 'host' },
  });
  await container.start();
  const info = await container.inspect();
  return { container, pid: info.State.Pid };
}

const EngineInfo = z.object({
  ID: z.string(),
  DockerRootDir: z.string(),
  Labels: z.array(z.string()),
});
const engineInfo = async (docker: Docker) => EngineInfo.parse(await docker.info());

const answers = (socketPath: string) =>
  new Docker({ socketPath, timeout: 1000 }).ping().then(
    () => true,
    () => false,
  );

/** The process's cgroup directory: the pids tree under cgroup v1, the one tree under v2. */
function cgroupDir(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const entry = lines
    .map((line) => line.split(':'))
    .find(([, ctl]) => ctl === 'pids' || ctl === '');
  const [, controllers, path] = entry ?? [];
  return join('/sys/fs/cgroup', controllers === 'pids' ? 'pids' : '', path ?? '');
}

const links = () =>
  execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0])
    .filter((name): name is string => !!name);

/** The shared engine's default bridge interface (docker0) that its containers need. */
async function sharedBridge(): Promise<string> {
  const network = z
    .object({ Options: z.record(z.string(), z.string()) })
    .parse(await sharedEngine.getNetwork('bridge').inspect());
  return network.Options['com.docker.network.bridge.name'] ?? 'docker0';
}

async function rigIsGone(engine: ExtraDockerd): Promise<void> {
  expect(existsSync(engine.root)).toBe(false);
  expect(processesUnder(engine.root)).toEqual([]);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(engine.root);
  expect(links()).not.toContain(engine.bridge);
  // dockerd --bridge=none deletes the host's docker0: an engine of the rig must never.
  expect(links()).toContain(await sharedBridge());
}

describe('an extra dockerd next to the shared one', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-plain' });
    buildArm64Images();
    await loadImages(engine.docker, [STUB, 'autoscaler-test/runner-stub:arm64']);
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

  it('is reached over SSH as Docker does it (docker system dial-stdio on the far side)', async () => {
    const ssh = await startSshEndpoint({ name: 'plain', dockerHost: engine.endpoint });
    try {
      const { container } = await sleeper(engine.docker, 'rig-plain-over-ssh');
      const listed = await ssh.docker.listContainers({ filters: { name: ['rig-plain-over-ssh'] } });
      expect(listed.map((c) => c.Names[0])).toEqual(['/rig-plain-over-ssh']);
      expect((await engineInfo(ssh.docker)).ID).toBe((await engineInfo(engine.docker)).ID);
      await container.remove({ force: true });

      const sshOptions = (privateKey: Buffer, hostKey = ssh.hostKey) => ({
        protocol: 'ssh' as const,
        host: ssh.host,
        port: ssh.port,
        username: ssh.username,
        sshOptions: { privateKey, hostVerifier: (key: Buffer) => key.equals(hostKey) },
      });
      const key = readFileSync(ssh.privateKeyFile);
      const strangerDir = mkdtempSync(join(tmpdir(), 'rig-ssh-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(strangerDir, 'k')]);
      const stranger = new Docker(sshOptions(readFileSync(join(strangerDir, 'k'))));
      rmSync(strangerDir, { recursive: true });
      await expect(stranger.ping()).rejects.toThrow(/authentication methods failed/);
      const spoofed = new Docker(sshOptions(key, Buffer.from('another host')));
      await expect(spoofed.ping()).rejects.toThrow(/verification failed/);

      await ssh.stop();
      await expect(ssh.docker.ping()).rejects.toThrow(/ECONNREFUSED/);
      await ssh.start();
      expect(String(await ssh.docker.ping())).toBe('OK');
    } finally {
      await ssh.destroy();
    }
  });

  it('runs linux/arm64 containers as far as this machine emulates them', async () => {
    const amd64 = await canRunPlatform(engine.docker, 'linux/amd64', STUB);
    expect(amd64).toMatchObject({ runs: true, output: 'x86_64' });
    const arm64 = await canRunPlatform(
      engine.docker,
      'linux/arm64',
      'autoscaler-test/runner-stub:arm64',
    );
    // Both outcomes are this machine's facts; which one depends on qemu-user-static's binfmt entry.
    if (binfmtStatus('aarch64') === 'enabled') {
      expect(arm64).toEqual({ runs: true, exitCode: 0, output: 'aarch64' });
    } else {
      expect(arm64).toMatchObject({ runs: false, exitCode: 1 });
      expect(arm64.output).toMatch(/exec format error/);
    }
  });

  it('lets the arm64 runner stub take a job as far as this machine emulates it', async () => {
    const fake = await startFakeGitHub({});
    try {
      const labels = ['self-hosted', 'linux', 'arm64'];
      const job = await fake.queueJob({ labels, durationMs: 100, sendWebhook: false });
      const registered = await callApi(
        fake,
        'POST',
        '/repos/octocat/hello-world/actions/runners/generate-jitconfig',
        { body: { name: 'rig-arm64', runner_group_id: 1, labels, work_folder: '_work' } },
      );
      const { encoded_jit_config } = z
        .object({ encoded_jit_config: z.string() })
        .parse(registered.body);
      const container = await engine.docker.createContainer({
        Image: 'autoscaler-test/runner-stub:arm64',
        Env: [`ACTIONS_RUNNER_INPUT_JITCONFIG=${encoded_jit_config}`],
        Labels: TEST_LABELS,
        HostConfig: { NetworkMode: 'host' },
        platform: 'linux/arm64',
      });
      await container.start();
      const { StatusCode } = z.object({ StatusCode: z.number() }).parse(await container.wait());
      const output = (await container.logs({ stdout: true, stderr: true })).toString();
      await container.remove({ force: true });
      if (binfmtStatus('aarch64') === 'enabled') {
        expect({ StatusCode, output }).toMatchObject({ StatusCode: 0 });
        expect(output).toContain('job completed (success)');
        expect(fake.job(job.id)?.status).toBe('completed');
      } else {
        expect(StatusCode).toBe(1);
        expect(output).toMatch(/exec format error/);
        expect(fake.job(job.id)?.status).toBe('queued');
      }
      fake.assertClean();
    } finally {
      await fake.close();
    }
  });

  it('reports a binary no kernel handler takes as a refusal', async () => {
    // An ELF header for a machine number nothing is registered for: ENOEXEC, as arm64 without qemu.
    const dir = mkdtempSync(join(tmpdir(), 'rig-elf-'));
    const elf = Buffer.alloc(64);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
    elf.writeUInt16LE(2, 16);
    elf.writeUInt16LE(0x9999, 18);
    elf.writeUInt32LE(1, 20);
    execFileSync('mkdir', ['-p', join(dir, 'bin')]);
    writeFileSync(join(dir, 'bin', 'uname'), elf, { mode: 0o755 });
    execFileSync('sh', [
      '-c',
      `tar -C ${dir} -c . | docker -H ${engine.endpoint} import -c 'LABEL io.runner-autoscaler.test=true' - autoscaler-test/unknown-machine:rig`,
    ]);
    rmSync(dir, { recursive: true });
    const probe = await canRunPlatform(
      engine.docker,
      'linux/amd64',
      'autoscaler-test/unknown-machine:rig',
    );
    expect(probe.runs).toBe(false);
    expect(probe.output).toMatch(/exec format error/);
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
    engine.freeze();
    expect(await answers(engine.socketPath)).toBe(false);
    engine.thaw();
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

describe('an extra dockerd on TCP with TLS', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-tls', tcp: { tls: true } });
  });
  afterAll(async () => {
    await engine?.destroy();
    if (engine) await rigIsGone(engine);
  });

  it('answers a client with the CA and a client certificate, and nobody else', async () => {
    expect(engine.endpoint).toBe(`tcp://127.0.0.1:${engine.port}`);
    const tls = engine.tls!;
    const withFiles = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(tls.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
    });
    expect((await engineInfo(withFiles)).ID).toBe((await engineInfo(engine.docker)).ID);
    expect(String(await engine.endpointClient().ping())).toBe('OK');

    const noClientCert = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(tls.ca),
    });
    await expect(noClientCert.ping()).rejects.toThrow(/alert bad certificate/);
    const other = makeTlsCerts(join(engine.root, 'other-ca'));
    const otherCa = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(tls.ca),
      cert: readFileSync(other.client.cert),
      key: readFileSync(other.client.key),
    });
    await expect(otherCa.ping()).rejects.toThrow(/alert bad certificate/);
    const distrusting = new Docker({
      host: '127.0.0.1',
      port: engine.port!,
      protocol: 'https',
      ca: readFileSync(other.client.ca),
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
    });
    await expect(distrusting.ping()).rejects.toThrow(/unable to verify the first certificate/);
    const plain = new Docker({ host: '127.0.0.1', port: engine.port!, protocol: 'http' });
    await expect(plain.ping()).rejects.toThrow(/HTTP request to an HTTPS server/);
  });

  it('is named by a Docker context as users name engines', async () => {
    const dockerConfig = join(engine.root, 'docker-config');
    createDockerContext({
      dockerConfig,
      name: 'rig-tls',
      endpoint: engine.endpoint,
      tls: engine.tls,
    });
    const cli = execFileSync(
      'docker',
      ['--config', dockerConfig, '--context', 'rig-tls', 'info', '--format', '{{.ID}}'],
      { encoding: 'utf8' },
    );
    const id = (await engineInfo(engine.docker)).ID;
    expect(cli.trim()).toBe(id);

    const problems: ConfigProblem[] = [];
    const engines = loadEngines(
      JSON.stringify([{ name: 'second', context: 'rig-tls', capacity: 2 }]),
      { DOCKER_CONFIG: dockerConfig },
      (path) => readFileSync(path, 'utf8'),
      undefined,
      problems,
    );
    expect(problems).toEqual([]);
    const endpoint = engines?.[0]?.endpoint;
    if (endpoint?.kind !== 'tcp' || !endpoint.tls) throw new Error('expected a TCP+TLS endpoint');
    expect(endpoint).toMatchObject({ host: '127.0.0.1', port: engine.port });
    const viaContext = new Docker({
      host: endpoint.host,
      port: endpoint.port,
      protocol: 'https',
      ca: readFileSync(endpoint.tls.ca),
      cert: readFileSync(endpoint.tls.cert),
      key: readFileSync(endpoint.tls.key),
    });
    expect((await engineInfo(viaContext)).ID).toBe(id);
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
