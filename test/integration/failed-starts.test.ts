import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../controller/src/runners/docker-runtime.ts';
import { runtimeSettings, type RunnerSpec } from '../../controller/src/runners/runtime.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';
import {
  leftovers,
  localEngine,
  removeAllOf,
  testControllerId,
} from '../support/harness/docker-cleanup.ts';
import { buildDindImagesFirst, DIND_IMAGE } from '../support/images/dind-helpers.ts';

// A runner whose start fails on the real engine leaves nothing behind: no container, no volume
// (its sidecar's data root and socket, its work folder, its externals, its root volume), in
// every Docker mode and at every step that can fail.
const STUB = 'autoscaler-test/runner-stub-docker:local';
const controllerId = testControllerId();
const runtime = createDockerRuntime({
  engines: [localEngine(['linux/amd64'])],
  controllerId,
  log: pino({ level: 'silent' }),
});

buildDindImagesFirst();

let round = 0;
const spec = (env: Record<string, string>): RunnerSpec => {
  const pool = testConfig({ GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't', ...env })
    .pools[0];
  if (!pool) throw new Error('no pool');
  round += 1;
  return {
    name: `runner-${controllerId.slice(5)}${round}`,
    pool: runtimeSettings(pool),
    engineId: 'local',
    jitConfig: 'x',
    jobId: 1,
  };
};
const DIND = { RUNNER_DOCKER_MODE: 'dind', DIND_IMAGE, DIND_PRIVILEGED: 'false' };

beforeAll(async () => {
  expect(await leftovers(controllerId)).toEqual({ containers: 0, volumes: 0 });
});

afterAll(async () => {
  await removeAllOf(controllerId);
});

describe('a runner whose start fails leaves nothing', () => {
  it.each([
    [
      'dind, a runner image that cannot be had',
      { ...DIND, RUNNER_IMAGE: 'autoscaler-test/no-such-image:x' },
    ],
    [
      'dind, a sidecar image that cannot be had',
      { ...DIND, RUNNER_IMAGE: STUB, DIND_IMAGE: 'autoscaler-test/no-such-dind:x' },
    ],
    [
      'dind, a sidecar runtime the engine lacks',
      { ...DIND, RUNNER_IMAGE: STUB, DIND_RUNTIME: 'no-such-runtime' },
    ],
    [
      'dind, a runner runtime the engine lacks',
      { ...DIND, RUNNER_IMAGE: STUB, RUNNER_RUNTIME: 'no-such-runtime' },
    ],
    [
      'host, a runner image that cannot be had',
      { RUNNER_DOCKER_MODE: 'host', RUNNER_IMAGE: 'autoscaler-test/no-such-image:x' },
    ],
    [
      'host, a runner runtime the engine lacks',
      { RUNNER_DOCKER_MODE: 'host', RUNNER_IMAGE: STUB, RUNNER_RUNTIME: 'no-such-runtime' },
    ],
  ])('%s', async (_name, env) => {
    await expect(runtime.start(spec(env))).rejects.toThrow();
    expect(await leftovers(controllerId)).toEqual({ containers: 0, volumes: 0 });
  });

  it('dind with a privileged sidecar: started and removed, or refused, nothing is left', async () => {
    // This host refuses --privileged (no CAP_SYS_RESOURCE); elsewhere the start succeeds.
    const runner = spec({ ...DIND, RUNNER_IMAGE: STUB, DIND_PRIVILEGED: 'true' });
    const started = await runtime.start(runner).then(
      () => true,
      () => false,
    );
    if (started) await runtime.remove(runner.name);
    expect(await leftovers(controllerId)).toEqual({ containers: 0, volumes: 0 });
  });

  it('host mode: a runner started and removed takes its root volume with it', async () => {
    const runner = spec({ RUNNER_DOCKER_MODE: 'host', RUNNER_IMAGE: STUB, RUNNER_NETWORK: 'host' });
    await runtime.start(runner);
    expect(await leftovers(controllerId)).toEqual({ containers: 1, volumes: 1 });
    await runtime.remove(runner.name);
    expect(await leftovers(controllerId)).toEqual({ containers: 0, volumes: 0 });
  });
});
