import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadImages } from '../support/rigs/engine-images.ts';
import { startExtraDockerd, type ExtraDockerd } from '../support/rigs/extra-dockerd.ts';
import { callApi, startFakeGitHub } from '../support/fakes/fake-github/index.ts';
import { binfmtStatus, buildArm64Images, canRunPlatform } from '../support/rigs/platforms.ts';
import { STUB, TEST_LABELS, rigIsGone } from '../support/rigs/rig-checks.ts';

describe('platforms on an extra dockerd', () => {
  let engine: ExtraDockerd;
  beforeAll(async () => {
    engine = await startExtraDockerd({ name: 'rig-arm64' });
    buildArm64Images();
    await loadImages(engine.docker, [STUB, 'autoscaler-test/runner-stub:arm64']);
  });
  afterAll(async () => {
    await engine?.destroy();
    if (engine) await rigIsGone(engine);
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
    mkdirSync(join(dir, 'bin'));
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
});
