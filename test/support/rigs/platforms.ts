import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';

/** What `uname -m` says on each platform the project knows. */
const MACHINE: Record<string, string> = { 'linux/amd64': 'x86_64', 'linux/arm64': 'aarch64' };

export type PlatformProbe = {
  /** The container ran and reported the platform's machine. */
  runs: boolean;
  exitCode: number | undefined;
  /** Its output: `aarch64`, or the refusal (`exec /bin/uname: exec format error`). */
  output: string;
};

/**
 * Runs `uname -m` in `image` (which must have it: the busybox and stub images do) as `platform`
 * on the engine. Without emulation an engine still creates and starts a foreign container; its
 * first exec fails and it exits 1 with "exec format error" in its output.
 */
export async function canRunPlatform(
  docker: Docker,
  platform: string,
  image: string,
): Promise<PlatformProbe> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['uname'],
    Cmd: ['-m'],
    Labels: { 'io.runner-autoscaler.test': 'true' },
    HostConfig: { NetworkMode: 'none' },
    // docker-modem sends every top-level option as a query parameter too: this one is meant so.
    platform,
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode?: number };
    const logs = await container.logs({ stdout: true, stderr: true });
    const output = demux(logs).trim();
    return { runs: StatusCode === 0 && output === MACHINE[platform], exitCode: StatusCode, output };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * How this machine's kernel runs `arch` binaries through binfmt_misc: `enabled` (qemu-user-static
 * registered and on), `disabled`, or `absent` (not registered, or binfmt_misc not mounted).
 */
export function binfmtStatus(arch: string): 'enabled' | 'disabled' | 'absent' {
  try {
    const entry = readFileSync(`/proc/sys/fs/binfmt_misc/qemu-${arch}`, 'utf8');
    return entry.startsWith('enabled') ? 'enabled' : 'disabled';
  } catch {
    return 'absent';
  }
}

/** Builds autoscaler-test/busybox:arm64 and runner-stub:arm64 on the engine (idempotent). */
export function buildArm64Images(dockerHost?: string): void {
  const script = join(dirname(fileURLToPath(import.meta.url)), '../images/build-arm64-images.sh');
  execFileSync('sh', [script, ...(dockerHost ? [dockerHost] : [])], { stdio: 'inherit' });
}

/** Docker's multiplexed log frames (8-byte headers) to text. */
function demux(buffer: Buffer): string {
  let text = '';
  for (let at = 0; at + 8 <= buffer.length;) {
    const size = buffer.readUInt32BE(at + 4);
    text += buffer.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return text;
}
