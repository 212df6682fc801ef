import type { DockerEngine } from './docker-engine.ts';
import { LABELS } from './container-labels.ts';

/** binfmt_misc handlers of qemu-user-static and the platforms they give. */
const QEMU_PLATFORMS: Record<string, string> = {
  'qemu-aarch64': 'linux/arm64',
  'qemu-x86_64': 'linux/amd64',
  'qemu-arm': 'linux/arm/v7',
};
const GO_ARCH: Record<string, string> = { amd64: 'linux/amd64', arm64: 'linux/arm64' };

/** The engine's own platform, from its version report (`linux/amd64`, ...). */
export async function nativePlatform(engine: DockerEngine): Promise<string | undefined> {
  const version = await engine.docker.version();
  const arch = GO_ARCH[version.Arch];
  return version.Os === 'linux' ? arch : undefined;
}

/**
 * The platforms an engine's host emulates: qemu handlers registered in binfmt_misc, enabled and
 * with the `F` flag (the kernel keeps the interpreter open, so it works inside any container).
 * Read by a short-lived probe container with the host's binfmt_misc mounted read-only, from an
 * image already on the engine that has a shell; none found: no emulation is assumed.
 */
export async function emulatedPlatforms(
  engine: DockerEngine,
  controllerId: string,
  probeImages: readonly string[],
): Promise<string[]> {
  const image = await firstPresent(engine, probeImages);
  if (!image) return [];
  const script =
    'for f in /binfmt/qemu-*; do [ -f "$f" ] && echo "== ${f##*/}" && cat "$f"; done; true';
  const container = await engine.docker.createContainer({
    Image: image,
    Entrypoint: ['/bin/sh', '-c', script],
    Cmd: [],
    User: '0',
    Labels: { [LABELS.controller]: controllerId, [LABELS.role]: 'probe' },
    NetworkDisabled: true,
    HostConfig: { Binds: ['/proc/sys/fs/binfmt_misc:/binfmt:ro'], AutoRemove: false },
  });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: false });
    return parseBinfmt(demux(logs));
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Platforms of the handlers in the probe's output (`== name` then the entry's lines). */
export function parseBinfmt(text: string): string[] {
  const out = new Set<string>();
  for (const entry of text.split(/^== /m).slice(1)) {
    const [name = '', ...lines] = entry.split('\n');
    const platform = QEMU_PLATFORMS[name.trim()];
    const enabled = lines.some((line) => line.trim() === 'enabled');
    const fixed = lines.some((line) => /^flags:\s*\S*F/.test(line.trim()));
    if (platform && enabled && fixed) out.add(platform);
  }
  return [...out];
}

async function firstPresent(
  engine: DockerEngine,
  images: readonly string[],
): Promise<string | undefined> {
  for (const image of images) {
    const found = await engine.docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (found) return image;
  }
  return undefined;
}

/** Docker's multiplexed log stream (8-byte frame headers) as text. */
function demux(buffer: Buffer): string {
  let out = '';
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    out += buffer.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return at === 0 && buffer.length > 0 ? buffer.toString('utf8') : out;
}

/** '1' or '2' (API 1.40 and later); undefined when the engine does not say. */
export async function cgroupVersionOf(engine: DockerEngine): Promise<string | undefined> {
  const info = (await engine.docker.info()) as { CgroupVersion?: unknown };
  return typeof info.CgroupVersion === 'string' ? info.CgroupVersion : undefined;
}
