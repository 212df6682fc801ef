import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  docker,
  leftovers,
  removeAllOf,
  testControllerId,
} from '../support/harness/docker-cleanup.ts';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';
import {
  connectSource,
  type ConnectedSource,
} from '../support/fakes/fake-actions/scale-set-harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/*
 * The scale-set client with the real engine: a runner stub container started with a JIT
 * config from the client takes a scale-set job, and the listener sees it start and complete
 * under the runner's name.
 */

const IMAGE = 'autoscaler-test/runner-stub:local';
let fake: FakeActions;
let client: ConnectedSource;
let controllerId: string;

beforeEach(async () => {
  controllerId = testControllerId();
  fake = await startFakeActions({ longPollMs: 1000 });
  client = connectSource(fake, { maxCapacity: () => 1 });
});

afterEach(async () => {
  await client.source.stop();
  await removeAllOf(controllerId);
  await fake.close();
});

describe('scale-set runner on the real engine', () => {
  it('a stub runner with a scale-set JIT config takes a job; the listener sees it started and completed with the runner name', async () => {
    client.start();
    await fake.waitFor(() => client.source.health().state === 'listening', 10_000, 'listening');
    const job = fake.queueJob({ scaleSet: 'linux-x64', durationMs: 500 });
    await fake.waitFor(
      () => client.source.health().statistics?.totalAssignedJobs === 1,
      10_000,
      'job assigned to the scale set',
    );

    const runnerName = `${controllerId}-runner`;
    const jit = await client.source.jitConfig(runnerName);
    client.secrets.add(jit.encodedJitConfig);
    const container = await docker.createContainer({
      Image: IMAGE,
      name: runnerName,
      Env: [`ACTIONS_RUNNER_INPUT_JITCONFIG=${jit.encodedJitConfig}`],
      Labels: {
        'io.runner-autoscaler.test': 'true',
        'io.runner-autoscaler.controller': controllerId,
        'io.runner-autoscaler.role': 'runner',
      },
      // 127.0.0.1 in the container is the host's, where the fake listens.
      HostConfig: { NetworkMode: 'host' },
    });
    await container.start();

    await fake.waitFor(
      () => client.events().some((e) => e.type === 'job-completed'),
      20_000,
      'job completed',
    );
    const started = client.events().find((e) => e.type === 'job-started');
    const completed = client.events().find((e) => e.type === 'job-completed');
    expect(started).toMatchObject({ runnerName, job: { runnerRequestId: job.runnerRequestId } });
    expect(completed).toMatchObject({ runnerName, result: 'succeeded' });
    const exited = await waitUntil(
      async () => {
        const info = await container.inspect();
        return info.State.Status === 'exited' ? info.State : undefined;
      },
      10_000,
      'runner container exited',
    );
    expect(exited.ExitCode).toBe(0);
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
    expect(logs).toContain('job completed (success)');
    expect(fake.statistics('linux-x64')).toMatchObject({
      totalAssignedJobs: 0,
      totalRegisteredRunners: 0,
    });
    await removeAllOf(controllerId);
    expect(await leftovers(controllerId)).toEqual({ containers: 0, volumes: 0 });
    client.assertNoSecretLeaked();
    fake.assertClean();
  });
});
