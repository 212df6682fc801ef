import type { PoolConfig } from '../config/load-config.ts';
import { canRun, type EngineRoom } from '../domain/placement.ts';
import { runtimeRoom } from '../runners/check-runtimes.ts';
import { isNotFound, type DockerEngine } from '../runners/docker-engine.ts';
import { nativePlatform } from '../runners/engine-platforms.ts';
import { readRuntimes } from '../runners/engine-runtimes.ts';
import type { RegistryAuth } from '../runners/registry-auth.ts';
import { fail, ok, skip, type CheckLine } from './check-line.ts';

const LOCAL_FIX =
  "the controller's user must reach the socket: DOCKER_GID is its group (stat -c %g /var/run/docker.sock)";
const REMOTE_FIX =
  "the engine's endpoint, its TLS files or SSH key and known_hosts (docs/several-hosts.md)";

const messageOf = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).trim();

/** The lines of one engine, and the engine as the controller's runtime check sees it. */
export type EngineCheck = { lines: CheckLine[]; room: EngineRoom };

/**
 * One engine: it answers, with its platforms and runtimes; every image its pools run (runner,
 * dind sidecar) is there or can be pulled. Nothing is pulled or started: a pull is checked by
 * asking the registry for the image's manifest, through the engine.
 */
export async function engineChecks(
  engine: DockerEngine,
  pools: readonly PoolConfig[],
  registryAuth: (image: string) => RegistryAuth | undefined,
): Promise<EngineCheck> {
  const subject = `${engine.id} (${engine.endpoint})`;
  let native: string | undefined;
  let runtimes: string[];
  try {
    await engine.docker.ping();
    native = await nativePlatform(engine);
    runtimes = await readRuntimes(engine);
  } catch (error) {
    const fix = engine.endpoint.startsWith('unix://') ? LOCAL_FIX : REMOTE_FIX;
    return {
      lines: [fail('engine', `${subject} does not answer: ${messageOf(error)}`, fix)],
      room: runtimeRoom(engine, undefined),
    };
  }
  const platforms = engine.platforms ?? (native ? [native] : []);
  const lines: CheckLine[] = [
    ok('engine', `${subject} answers; runs ${platforms.join(', ') || 'an unknown platform'}`),
  ];
  // The pools pinned elsewhere (engine_labels) are not this engine's; platforms come below.
  const room = { id: engine.id, capacity: engine.capacity, labels: engine.labels, platforms };
  const placed = pools.filter((pool) =>
    canRun(room, { platform: undefined, engineLabels: pool.engineLabels }),
  );
  for (const pool of placed) {
    if (pool.platform !== undefined && !platforms.includes(pool.platform)) {
      lines.push(
        engine.platforms === undefined
          ? skip(
              'engine',
              `${subject}: pool ${pool.id} needs ${pool.platform}, not native; the controller looks for emulation (qemu binfmt) when it starts`,
            )
          : fail(
              'engine',
              `${subject}: pool ${pool.id} needs ${pool.platform}, which its platforms leave out`,
              `add an engine that runs ${pool.platform}, or pin the pool elsewhere (engine_labels)`,
            ),
      );
    }
  }
  const images = new Set(
    placed.flatMap((pool) => [
      pool.runnerImage,
      ...(pool.dockerMode === 'dind' ? [pool.dind.image] : []),
    ]),
  );
  for (const image of images)
    lines.push(await imageCheck(engine, subject, image, registryAuth(image)));
  return { lines, room: runtimeRoom(engine, runtimes) };
}

async function imageCheck(
  engine: DockerEngine,
  subject: string,
  image: string,
  auth: RegistryAuth | undefined,
): Promise<CheckLine> {
  try {
    const found = await engine.docker.getImage(image).inspect();
    const version = found.Config.Labels?.['org.opencontainers.image.version'];
    return ok('engine', `${subject}: ${image} is there${version ? ` (version ${version})` : ''}`);
  } catch (error) {
    if (!isNotFound(error))
      return fail('engine', `${subject}: ${image}: ${messageOf(error)}`, REMOTE_FIX);
  }
  try {
    await engine.docker.getImage(image).distribution(auth ? { authconfig: auth } : {});
    return ok('engine', `${subject}: ${image} is not there yet and can be pulled`);
  } catch (error) {
    return fail(
      'engine',
      `${subject}: ${image} is not there and cannot be pulled: ${messageOf(error)}`,
      'build or load it on the engine (docker-compose.build.yml for the runner image), log in to its registry (DOCKER_CONFIG), or name another image (RUNNER_IMAGE, DIND_IMAGE)',
    );
  }
}
