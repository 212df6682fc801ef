/**
 * The engine's own create+start of the runner stub image, and the engine's `start` events: the
 * baseline of the benchmarks that start runners (5, 7).
 */
import { docker } from '../test/support/docker-cleanup.ts';
import { STUB_IMAGE } from '../test/support/harness.ts';

export const CONTROLLER_LABEL = 'io.runner-autoscaler.controller';

export type Starts = { next: () => Promise<number>; stop: () => void };

/** Times (ms since the epoch) of container `start` events carrying a label, from the engine. */
export async function watchStarts(label: string): Promise<Starts> {
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['start'], label: [label] },
  })) as NodeJS.ReadableStream & { destroy: () => void };
  const waiting: ((at: number) => void)[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as { timeNano: number };
      waiting.shift()?.(event.timeNano / 1e6);
    }
  });
  return {
    next: () => new Promise((resolve) => waiting.push(resolve)),
    stop: () => stream.destroy(),
  };
}

/**
 * The same image started directly through the Docker API: create and start, nothing else (ms,
 * to the engine's `start` event). Labelled with the controller id, so its cleanup removes it.
 */
export async function startDirectly(starts: Starts, controllerId: string): Promise<number> {
  const started = starts.next();
  const before = Date.now();
  const container = await docker.createContainer({
    Image: STUB_IMAGE,
    Cmd: ['true'],
    Entrypoint: [],
    Labels: { [CONTROLLER_LABEL]: controllerId },
    // As the controller's runners here: host network (no veth to set up), removed after.
    HostConfig: { NetworkMode: 'host', AutoRemove: true },
  });
  await container.start();
  return (await started) - before;
}
