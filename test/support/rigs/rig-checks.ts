import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { expect } from 'vitest';
import { z } from 'zod';
import { docker as sharedEngine } from '../harness/docker-cleanup.ts';
import type { ExtraDockerd } from './extra-dockerd.ts';
import { processesUnder } from './host-processes.ts';

/** Checks and helpers of the rig tests (test/integration/engine-rigs*.test.ts). */
export const STUB = 'autoscaler-test/runner-stub:local';
export const BUSYBOX = 'autoscaler-test/busybox:local';
export const TEST_LABELS = { 'io.runner-autoscaler.test': 'true' };

/** A container that runs until killed (sleep as PID 1 ignores SIGTERM: StopTimeout bounds it). */
export async function sleeper(docker: Docker, name: string) {
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

export const EngineInfo = z.object({
  ID: z.string(),
  DockerRootDir: z.string(),
  Labels: z.array(z.string()),
});
export type EngineInfo = z.infer<typeof EngineInfo>;
export const engineInfo = async (docker: Docker) => EngineInfo.parse(await docker.info());

export const answers = (socketPath: string) =>
  new Docker({ socketPath, timeout: 1000 }).ping().then(
    () => true,
    () => false,
  );

/** The process's cgroup directory: the pids tree under cgroup v1, the one tree under v2. */
export function cgroupDir(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const entry = lines
    .map((line) => line.split(':'))
    .find(([, ctl]) => ctl === 'pids' || ctl === '');
  const [, controllers, path] = entry ?? [];
  return join('/sys/fs/cgroup', controllers === 'pids' ? 'pids' : '', path ?? '');
}

export const links = () =>
  execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0])
    .filter((name): name is string => !!name);

/** The shared engine's default bridge interface (docker0) that its containers need. */
export async function sharedBridge(): Promise<string> {
  const network = z
    .object({ Options: z.record(z.string(), z.string()) })
    .parse(await sharedEngine.getNetwork('bridge').inspect());
  return network.Options['com.docker.network.bridge.name'] ?? 'docker0';
}

export async function rigIsGone(engine: ExtraDockerd): Promise<void> {
  expect(existsSync(engine.root)).toBe(false);
  expect(processesUnder(engine.root)).toEqual([]);
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(engine.root);
  expect(links()).not.toContain(engine.bridge);
  // dockerd --bridge=none deletes the host's docker0: an engine of the rig must never.
  expect(links()).toContain(await sharedBridge());
}
