/**
 * The setup the scale-set benchmarks (10, 11) share: the test images, a fake GitHub and the fake
 * Actions service (at its defaults unless told), and the real controller serving one scale-set
 * pool, listening once `start` resolves.
 */
import { execFileSync } from 'node:child_process';
import {
  startFakeActions,
  type FakeActions,
  type FakeActionsOptions,
} from '../test/support/fakes/fake-actions/index.ts';
import { createHarness, type Harness } from '../test/support/harness/harness.ts';
import { waitUntil } from '../test/support/harness/wait-until.ts';

const CONFIG_URL = 'https://github.com/octocat/hello-world';
const ROOT = new URL('..', import.meta.url).pathname;

export type ScaleSetRig = {
  h: Harness;
  actions: FakeActions;
  /** Starts the controller with MAX_RUNNERS `cap`; resolves once it holds a session. */
  start: () => Promise<void>;
  close: () => Promise<void>;
};

export async function scaleSetRig(
  scaleSet: string,
  cap: number,
  options: FakeActionsOptions = {},
): Promise<ScaleSetRig> {
  execFileSync('bash', ['test/support/images/build-images.sh'], { cwd: ROOT, stdio: 'ignore' });
  const h = await createHarness();
  const actions = await startFakeActions({
    configUrls: [CONFIG_URL],
    acceptRegistrationToken: () => true,
    ...options,
  });
  h.fake.useActionsService(actions.apiUrl);
  return {
    h,
    actions,
    async start() {
      await h.start(
        {
          JOB_SOURCE: 'scaleset',
          SCALE_SET_NAME: scaleSet,
          WEBHOOK_SECRET: '',
          MAX_RUNNERS: String(cap),
          LOG_LEVEL: 'info',
        },
        { manualHook: false },
      );
      await waitUntil(() => actions.sessions().some((s) => s.active), 30_000, 'a session');
    },
    async close() {
      await h.cleanup();
      await actions.close();
    },
  };
}
