import type Docker from 'dockerode';

/**
 * One Docker engine runners can be placed on, with its own share of the capacity. `docker`
 * makes the API calls (with a timeout, so a hung engine fails a listing instead of stalling
 * it); `streams` follows events and pulls, which may rightly stay open for long. `socketGroup`
 * is the group owning the engine's socket on its host, given to runners that use it (`host`
 * mode); unknown for a remote engine.
 */
export type DockerEngine = {
  id: string;
  docker: Docker;
  streams: Docker;
  capacity: number;
  /** The endpoint as it may be shown: no credentials, no file paths. */
  endpoint: string;
  labels: Record<string, string>;
  /** Platforms the operator says it runs; undefined: found out from the engine. */
  platforms: string[] | undefined;
  socketGroup?: number | undefined;
};

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const status = error.statusCode;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

/** Docker's 304 (already stopped) and 404 (already gone) mean the wish is already true. */
export async function idempotent(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    const status = statusOf(error);
    if (status !== 304 && status !== 404) throw error;
  }
}
