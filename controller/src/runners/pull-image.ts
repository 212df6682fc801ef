import type Docker from 'dockerode';
import type { RegistryAuth } from './registry-auth.ts';

/** Pulls an image (for a platform, with the registry's credentials) and waits for the end. */
export async function pull(
  docker: Docker,
  image: string,
  platform: string | undefined,
  auth: RegistryAuth | undefined,
): Promise<void> {
  const stream = await docker.pull(image, {
    ...(platform ? { platform } : {}),
    ...(auth ? { authconfig: auth } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null) =>
      error ? reject(error) : resolve(),
    );
  });
}
