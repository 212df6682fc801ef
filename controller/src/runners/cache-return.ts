import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { CACHE_ROLE, leasedVolumes, type CacheLeases, type CachePlan } from './cache-volumes.ts';
import { LABELS, poolOfLabels } from './container-labels.ts';
import { DIND_SOCKET_DIR } from './container-spec.ts';
import { idempotent, statusOf, type DockerEngine } from './docker-engine.ts';
import { ownFilter } from './list-engine.ts';

export type CacheDeps = {
  controllerId: string;
  plan: CachePlan;
  leases: CacheLeases;
  log: Logger;
};

/** Cleaning a data root and measuring it; a daemon that does not answer in time loses its cache. */
const CLEAN_TIMEOUT_MS = 120_000;
/** dockerd's own shutdown: it stops what still runs and closes its stores cleanly. */
const STOP_SECONDS = 15;

// A cache keeps images and build cache, never the job's state: containers (a restart policy
// would start them again under the next job), volumes and networks go. Then its size, in KiB.
const CLEAN_AND_MEASURE = [
  'docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1',
  'docker volume ls -q | xargs -r docker volume rm -f >/dev/null 2>&1',
  'docker network prune -f >/dev/null 2>&1',
  'du -sk /var/lib/docker | cut -f1',
].join('; ');

/**
 * Takes a pool's cache volume back from a sidecar being removed: its daemon is cleaned of the
 * job's containers, volumes and networks, measured and stopped; the volume is kept for the next
 * runner, or removed (to be made again empty) when it is above the pool's limit, when its pool
 * no longer keeps a cache, or when its daemon had stopped by itself (its data root may be
 * half-written). A sidecar that never started leaves the volume as it was.
 */
export async function returnCache(
  deps: CacheDeps,
  engine: DockerEngine,
  sidecar: Docker.ContainerInfo,
): Promise<void> {
  const volume = sidecar.Labels[LABELS.cacheVolume] ?? '';
  const poolId = poolOfLabels(sidecar.Labels);
  const settings = deps.plan.get(poolId);
  const held = deps.leases.hold(engine.id, volume);
  const container = engine.docker.getContainer(sidecar.Id);
  try {
    let drop: string | undefined;
    let bytes: number | undefined;
    if (sidecar.State === 'running') {
      bytes = await cleanAndMeasure(engine, sidecar.Id).catch((error: unknown) => {
        deps.log.warn({ err: error, volume }, 'cleaning a cache volume failed');
        return undefined;
      });
      await idempotent(() => container.stop({ t: STOP_SECONDS }));
      if (bytes === undefined) drop = 'not measured';
    } else if (sidecar.State !== 'created') {
      drop = 'its daemon had stopped';
    }
    if (!settings) drop = 'its pool keeps no cache';
    else if (bytes !== undefined && bytes > settings.maxBytes) drop = 'above dind_cache_max_size';
    await idempotent(() => container.remove({ force: true, v: true }));
    const fields = { volume, pool: poolId, engine: engine.id, bytes };
    if (!drop) return deps.log.debug(fields, 'cache volume kept');
    await removeVolume(engine, volume);
    deps.log.info({ ...fields, reason: drop }, 'cache volume dropped');
  } finally {
    if (held) deps.leases.release(engine.id, volume);
  }
}

/**
 * Removes the cache volumes of this controller on an engine that no container holds and that no
 * configured pool keeps any more: pools gone, caching turned off, or slots beyond a smaller count.
 */
export async function sweepCaches(deps: CacheDeps, engine: DockerEngine): Promise<void> {
  const filters = ownFilter(deps.controllerId, [`${LABELS.role}=${CACHE_ROLE}`]);
  const [volumes, leased] = await Promise.all([
    engine.docker.listVolumes({ filters }),
    leasedVolumes(engine, deps.controllerId),
  ]);
  for (const volume of volumes.Volumes ?? []) {
    const labels = volume.Labels ?? {};
    const settings = deps.plan.get(poolOfLabels(labels));
    const slot = Number(labels[LABELS.cacheSlot]);
    if (settings && slot < settings.volumes) continue;
    if (leased.has(volume.Name) || deps.leases.isHeld(engine.id, volume.Name)) continue;
    await removeVolume(engine, volume.Name);
    deps.log.info(
      { volume: volume.Name, pool: poolOfLabels(labels), engine: engine.id },
      'cache volume removed: its pool no longer keeps it',
    );
  }
}

async function removeVolume(engine: DockerEngine, name: string): Promise<void> {
  try {
    await idempotent(() => engine.docker.getVolume(name).remove());
  } catch (error) {
    // In use (409): a container still holds it; the next sweep or return tries again.
    if (statusOf(error) !== 409) throw error;
  }
}

/** Runs the clean-up in the sidecar and returns the size of its data root in bytes. */
async function cleanAndMeasure(engine: DockerEngine, containerId: string): Promise<number> {
  // The streaming client: du over a large data root may be silent for longer than an API call.
  const exec = await engine.streams.getContainer(containerId).exec({
    Cmd: ['sh', '-c', CLEAN_AND_MEASURE],
    Env: [`DOCKER_HOST=unix://${DIND_SOCKET_DIR}/docker.sock`],
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CLEAN_TIMEOUT_MS);
  try {
    const stream = await exec.start({
      hijack: true,
      stdin: false,
      Tty: true,
      abortSignal: abort.signal,
    });
    const output = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      stream.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      stream.on('error', reject);
      abort.signal.addEventListener('abort', () => {
        stream.destroy();
        reject(new Error(`no answer from the sidecar within ${CLEAN_TIMEOUT_MS / 1000} s`));
      });
    });
    const kib = /(\d+)\s*$/.exec(output)?.[1];
    if (kib === undefined) throw new Error('the sidecar did not report the size of its data root');
    return Number(kib) * 1024;
  } finally {
    clearTimeout(timer);
  }
}
