import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { ImagePullFailed } from '../domain/runner-failures.ts';
import { isNotFound, type DockerEngine } from './docker-engine.ts';
import type { RegistryAuth } from './registry-auth.ts';

/**
 * Pulls an image (for a platform, with the registry's credentials) and waits for the end; a
 * failure is an ImagePullFailed with the engine's message.
 */
export async function pull(
  docker: Docker,
  image: string,
  platform: string | undefined,
  auth: RegistryAuth | undefined,
): Promise<void> {
  try {
    const stream = await docker.pull(image, {
      ...(platform ? { platform } : {}),
      ...(auth ? { authconfig: auth } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null) =>
        error ? reject(error) : resolve(),
      );
    });
  } catch (error) {
    throw new ImagePullFailed(image, error);
  }
}

/** Creates a container (not started), pulling its image first when the engine lacks it. */
export async function createPulling(
  engine: DockerEngine,
  create: Docker.ContainerCreateOptions,
  platform: string | undefined,
  registryAuth: ((image: string) => RegistryAuth | undefined) | undefined,
  log: Logger,
): Promise<Docker.Container> {
  // Only the name and platform go in the query string; the rest (the JIT config in Env
  // among it) stays in the body, out of request logs and proxies.
  const query = { name: create.name, ...(platform ? { platform } : {}) };
  const request = { _query: query, _body: create } as unknown as Docker.ContainerCreateOptions;
  try {
    return await engine.docker.createContainer(request);
  } catch (error) {
    if (!isNotFound(error) || !create.Image) throw error;
    log.info({ image: create.Image, engine: engine.id }, 'pulling image');
    await pull(engine.streams, create.Image, platform, registryAuth?.(create.Image));
    return await engine.docker.createContainer(request);
  }
}
