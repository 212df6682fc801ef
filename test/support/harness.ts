import { createServer } from 'node:net';
import type { TestContext } from 'vitest';
import {
  removeDataDir,
  startControllerProcess,
  type ControllerProcess,
} from './controller-process.ts';
import { removeAllOf, testControllerId } from './docker-cleanup.ts';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './fake-github/index.ts';

export const SECRET = 'integration-secret';
export const STUB_IMAGE = 'autoscaler-test/runner-stub:local';

/** A fake GitHub, a controller process against it, and cleanup by label after each test. */
export type Harness = {
  fake: FakeGitHub;
  controllerId: string;
  dataDir: string | undefined;
  controller: ControllerProcess | undefined;
  /** `manualHook: false` leaves webhook registration to the controller (WEBHOOK_HOST). */
  start: (
    env?: Record<string, string>,
    options?: { manualHook?: boolean },
  ) => Promise<ControllerProcess>;
  /** The URL the controller listens on, known before it starts. */
  url: string;
  cleanup: (context: TestContext) => Promise<void>;
};

export async function createHarness(options: FakeGitHubOptions = {}): Promise<Harness> {
  const fake = await startFakeGitHub(options);
  const port = await freePort();
  const harness: Harness = {
    fake,
    controllerId: testControllerId(),
    dataDir: undefined,
    controller: undefined,
    url: `http://127.0.0.1:${port}`,
    async start(env = {}, options = {}) {
      const controller = await startControllerProcess(
        {
          GITHUB_URL: `https://github.com/${fake.defaultRepo.owner}/${fake.defaultRepo.name}`,
          GITHUB_API_URL: fake.apiUrl,
          GITHUB_TOKEN: fake.token,
          WEBHOOK_SECRET: SECRET,
          CONTROLLER_ID: harness.controllerId,
          RUNNER_IMAGE: STUB_IMAGE,
          RUNNER_DOCKER_MODE: 'none',
          RUNNER_NETWORK: 'host',
          LOG_LEVEL: 'debug',
          PORT: String(port),
          ...env,
        },
        harness.dataDir === undefined ? {} : { dataDir: harness.dataDir },
      );
      harness.controller = controller;
      harness.dataDir = controller.dataDir;
      if (options.manualHook !== false)
        fake.setWebhookTarget({ url: `${controller.url}/webhook`, secret: SECRET });
      return controller;
    },
    async cleanup(context) {
      if (context.task.result?.state === 'fail') console.log(harness.controller?.output());
      await harness.controller?.stop('SIGKILL');
      await removeAllOf(harness.controllerId);
      if (harness.dataDir) removeDataDir(harness.dataDir);
      await fake.close();
      // Every request the controller made must be one GitHub documents, with a valid body.
      fake.assertClean();
    },
  };
  return harness;
}

/** A port free right now, so a restarted controller can listen where GitHub already sends. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
