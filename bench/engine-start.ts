/**
 * The engine's own create+start of the runner stub image, and the engine's `start` events: the
 * baseline of the benchmarks that start runners (5, 7).
 */
import type { PoolConfig } from '../controller/src/config/config-types.ts';
import { runnerContainer } from '../controller/src/runners/container-spec.ts';
import { testConfig } from '../test/support/fixtures/config-fixtures.ts';
import { docker } from '../test/support/harness/docker-cleanup.ts';
import { STUB_IMAGE } from '../test/support/harness/harness.ts';

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

let runnerSpecRound = 0;
let runnerPool: PoolConfig | undefined;

/** The pool the harness's controller serves (runner stub image, no Docker, host network). */
function harnessPool(): PoolConfig {
  const config = testConfig({
    GITHUB_URL: 'https://github.com/bench/direct',
    GITHUB_TOKEN: 't',
    RUNNER_IMAGE: STUB_IMAGE,
    RUNNER_DOCKER_MODE: 'none',
    RUNNER_NETWORK: 'host',
  });
  const pool = config.repos[0]?.pools[0];
  if (!pool) throw new Error('no pool');
  return pool;
}

/**
 * The container the controller itself makes for a runner of the harness's pool (its own spec:
 * environment with a JIT config of the usual size, limits, network), created and started
 * directly; only its command is `true` and its labels the benchmark's (ms, to the `start` event).
 */
export async function startRunnerSpecDirectly(
  starts: Starts,
  controllerId: string,
): Promise<number> {
  const pool = (runnerPool ??= harnessPool());
  runnerSpecRound += 1;
  const spec = runnerContainer(
    {
      name: `bench-direct-${controllerId}-${runnerSpecRound}`,
      pool,
      engineId: 'local',
      jitConfig: 'x'.repeat(2_400),
      jobId: undefined,
    },
    { controllerId, engineId: 'local', socketGroup: undefined },
    { mode: 'none' },
  );
  const started = starts.next();
  const before = Date.now();
  const container = await docker.createContainer({
    ...spec,
    Entrypoint: [],
    Cmd: ['true'],
    Labels: { [CONTROLLER_LABEL]: controllerId },
    HostConfig: { ...spec.HostConfig, AutoRemove: true },
  });
  await container.start();
  return (await started) - before;
}

/**
 * The engine draining `jobs` jobs itself, `cap` at a time, as a pool under a cap must: each of
 * `cap` slots creates and starts a container of the stub image that sleeps the job's length and
 * exits, removes it, and starts the next, with no controller between (ms, from the first create
 * to the last container's exit). The bound a controller can reach on this engine at this load.
 */
export async function drainDirectly(
  controllerId: string,
  jobs: number,
  cap: number,
  jobMs: number,
): Promise<number> {
  let left = jobs;
  const start = Date.now();
  let lastExit = start;
  const slot = async () => {
    while (left > 0) {
      left -= 1;
      const container = await docker.createContainer({
        Image: STUB_IMAGE,
        Entrypoint: ['/bin/sh', '-c'],
        Cmd: [`sleep ${jobMs / 1000}`],
        Labels: { [CONTROLLER_LABEL]: controllerId },
        HostConfig: { NetworkMode: 'host' },
      });
      await container.start();
      await container.wait();
      lastExit = Math.max(lastExit, Date.now());
      await container.remove({ force: true, v: true });
    }
  };
  await Promise.all(Array.from({ length: cap }, slot));
  return lastExit - start;
}
