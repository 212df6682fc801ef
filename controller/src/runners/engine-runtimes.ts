import type { DockerEngine } from './docker-engine.ts';

/** The OCI runtimes an engine offers, by the names containers ask for (`docker info`). */
export async function readRuntimes(engine: DockerEngine): Promise<string[]> {
  const info = (await engine.docker.info()) as { Runtimes?: unknown };
  const runtimes = info.Runtimes;
  return typeof runtimes === 'object' && runtimes !== null ? Object.keys(runtimes).sort() : [];
}
