import { describe, expect, it } from 'vitest';
import { leftovers, runnerContainers } from '../support/harness/docker-cleanup.ts';
import { callApi } from '../support/fakes/fake-github/index.ts';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

const register = (name: string) =>
  callApi(h.fake, 'POST', '/repos/octocat/hello-world/actions/runners/generate-jitconfig', {
    body: { name, runner_group_id: 1, labels: ['self-hosted'], work_folder: '_work' },
  });
const registered = () => h.fake.runners().map((runner) => runner.name);

describe('runner registrations', () => {
  it('deletes offline registrations it made that have no container, and no one else’s', async () => {
    // Left by a controller that died between registering and starting a runner.
    expect((await register('runner-0a1b2c3d4e')).status).toBe(201);
    // A hand-made runner that happens to share the prefix.
    expect((await register('runner-build-box')).status).toBe(201);
    await h.start({ RESYNC_INTERVAL_SECONDS: '5' });
    await waitUntil(
      () => !registered().includes('runner-0a1b2c3d4e'),
      20_000,
      'the stale registration deleted',
    );
    expect(registered()).toEqual(['runner-build-box']);
  });

  it('after a restart, retires an idle runner it did not start, asking GitHub for it by name', async () => {
    await h.start({ MIN_IDLE_RUNNERS: '1' });
    const [warm] = await waitUntil(
      async () => {
        const list = await runnerContainers(h.controllerId);
        return list.length === 1 && list[0]?.State === 'running' ? list : undefined;
      },
      10_000,
      'a warm runner',
    );
    const name = warm?.Labels['io.runner-autoscaler.runner-name'] ?? '';
    await h.controller?.kill();
    // The same controller, now without a warm pool: the adopted runner is surplus once idle
    // past its timeout, and this process never learnt its registration id.
    await h.start({ MIN_IDLE_RUNNERS: '0', RUNNER_IDLE_TIMEOUT_SECONDS: '1' });
    await waitUntil(
      () => h.controller?.logs().some((l) => l.msg === 'runner removed' && l.reason === 'idle'),
      20_000,
      'the adopted runner retired as idle',
    );
    expect((await leftovers(h.controllerId)).containers).toBe(0);
    expect(registered()).not.toContain(name);
    const byName = h.fake
      .requests()
      .filter((r) => r.path.endsWith('/actions/runners') && r.query.name === name);
    expect(byName.length).toBeGreaterThan(0);
  });
});
