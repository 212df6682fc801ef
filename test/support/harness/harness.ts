import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, type TestContext } from 'vitest';
import {
  removeDataDir,
  startControllerProcess,
  type ControllerProcess,
  type ControllerProcessOptions,
} from './controller-process.ts';
import { removeAllOf, testControllerId } from './docker-cleanup.ts';
import { freePort } from './free-port.ts';
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
} from '../fakes/fake-github/index.ts';

export const SECRET = 'integration-secret';
export const STUB_IMAGE = 'autoscaler-test/runner-stub:local';

export type StartOptions = { manualHook?: boolean } & Pick<
  ControllerProcessOptions,
  'build' | 'nodeArgs'
>;

/** A fake GitHub, a controller process against it, and cleanup by label after each test. */
export type Harness = {
  fake: FakeGitHub;
  controllerId: string;
  dataDir: string | undefined;
  controller: ControllerProcess | undefined;
  /**
   * `manualHook: false` leaves webhook registration to the controller (WEBHOOK_HOST); `build`
   * and `nodeArgs` as for startControllerProcess.
   */
  start: (env?: Record<string, string>, options?: StartOptions) => Promise<ControllerProcess>;
  /**
   * Multi-repo mode: `repos` (the repos.json shape) becomes REPOS_CONFIG_FILE, the controller
   * starts, and each repository's webhooks (`owner/name` → repo id) go to /webhook/<id>.
   */
  startRepos: (
    repos: unknown,
    routes: Record<string, string>,
    env?: Record<string, string>,
    options?: Omit<StartOptions, 'manualHook'>,
  ) => Promise<ControllerProcess>;
  /** Writes a file (a key, say) into a folder the cleanup removes; returns its path. */
  writeFile: (name: string, content: string) => string;
  /** The URL the controller listens on, known before it starts. */
  url: string;
  /** With a test's context, prints the controller's output when the test failed. */
  cleanup: (context?: TestContext) => Promise<void>;
};

export async function createHarness(options: FakeGitHubOptions = {}): Promise<Harness> {
  const fake = await startFakeGitHub(options);
  const port = await freePort();
  const files = mkdtempSync(join(tmpdir(), 'autoscaler-files-'));
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
          // Test images are built here; nothing can be pulled.
          RUNNER_PULL_POLICY: 'missing',
          RUNNER_NETWORK: 'host',
          // actions/runner's releases from the fake (404 until a test publishes one).
          RUNNER_RELEASES_URL: `${fake.apiUrl}/repos/actions/runner/releases/latest`,
          LOG_LEVEL: 'debug',
          PORT: String(port),
          ...env,
        },
        {
          ...(harness.dataDir === undefined ? {} : { dataDir: harness.dataDir }),
          ...(options.build === undefined ? {} : { build: options.build }),
          ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
        },
      );
      harness.controller = controller;
      harness.dataDir = controller.dataDir;
      if (options.manualHook !== false)
        fake.setWebhookTarget({ url: `${controller.url}/webhook`, secret: SECRET });
      return controller;
    },
    writeFile(name, content) {
      const path = join(files, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    },
    async startRepos(repos, routes, env = {}, options = {}) {
      const controller = await harness.start(
        {
          GITHUB_URL: '',
          GITHUB_TOKEN: '',
          WEBHOOK_SECRET: '',
          REPOS_CONFIG_FILE: harness.writeFile('repos.json', JSON.stringify(repos)),
          ...env,
        },
        { ...options, manualHook: false },
      );
      for (const [repo, id] of Object.entries(routes))
        fake.setWebhookTarget({ url: `${controller.url}/webhook/${id}`, secret: SECRET, repo });
      return controller;
    },
    async cleanup(context) {
      if (context?.task.result?.state === 'fail') console.log(harness.controller?.output());
      await harness.controller?.stop('SIGKILL');
      // A create request the killed controller had sent still completes in the engine: when it
      // was at work (containers were left), a second pass takes what came after the first.
      if ((await removeAllOf(harness.controllerId)) > 0) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await removeAllOf(harness.controllerId);
      }
      if (harness.dataDir) removeDataDir(harness.dataDir);
      rmSync(files, { recursive: true, force: true });
      await fake.close();
      // Every request the controller made must be one GitHub documents, with a valid body.
      fake.assertClean();
    },
  };
  return harness;
}

export type HarnessForEachTestOptions = {
  /** Options of each test's fake GitHub (a function when they are known only then). */
  fake?: FakeGitHubOptions | (() => FakeGitHubOptions | Promise<FakeGitHubOptions>);
  /** Work before the cleanup (what the cleanup needs back, such as the Docker engine). */
  beforeCleanup?: () => Promise<unknown>;
  /** Work after the cleanup (what outlives the controller: extra engines, networks). */
  afterCleanup?: () => Promise<unknown>;
};

/**
 * For a test file (or a describe block): a fresh harness before each test, handed to `use`,
 * and its cleanup after the test, failing or not (printing the controller's output when it
 * failed).
 */
export function harnessForEachTest(
  use: (harness: Harness) => void,
  options: HarnessForEachTestOptions = {},
): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    const fake = typeof options.fake === 'function' ? await options.fake() : options.fake;
    current = await createHarness(fake);
    use(current);
  });
  afterEach(async (context) => {
    await options.beforeCleanup?.();
    await current?.cleanup(context);
    current = undefined;
    await options.afterCleanup?.();
  });
}
