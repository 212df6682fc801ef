import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDeliveryRoutes } from './delivery-routes.ts';
import { createDispatcher } from './dispatcher.ts';
import type { FakeGitHub, FakeGitHubOptions, RepoInput, WebhookTarget } from './fake-github.ts';
import { createFaults } from './faults.ts';
import { addHookRoutes } from './hook-routes.ts';
import { createJobFlow } from './job-flow.ts';
import { addMiscRoutes } from './misc-routes.ts';
import { createRateLimit } from './rate-limit.ts';
import { createRequestListener } from './request-listener.ts';
import { createRouter } from './router.ts';
import { addRunRoutes } from './run-routes.ts';
import { addRunnerRoutes } from './runner-routes.ts';
import { createFakeState, repoKey, type FakeRepo } from './state.ts';
import { addStubRoutes } from './stub-routes.ts';
import { createWebhookSender } from './webhook-sender.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a fake GitHub API on 127.0.0.1 (random port); see test/support/README.md. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const state = createFakeState();
  const tokens = new Set(options.tokens ?? ['test-token']);
  const rateLimit = createRateLimit(options.rateLimit ?? 5000);
  const faults = createFaults();
  const sender = createWebhookSender(state, options.webhookTimeoutMs ?? 10_000);
  const dispatch = createDispatcher(state, sender);
  let url = '';
  const baseUrl = () => url;
  const flow = createJobFlow(state, baseUrl, dispatch);
  const router = createRouter();
  addRunnerRoutes(router, state, baseUrl);
  addRunRoutes(router, state, baseUrl);
  addHookRoutes(router, state, sender, baseUrl);
  addDeliveryRoutes(router, state, sender, baseUrl);
  addMiscRoutes(router, state, rateLimit, baseUrl);
  addStubRoutes(router, flow);

  const server = createServer(
    createRequestListener({ router, state, rateLimit, faults, tokens, baseUrl }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const defaultTargets: WebhookTarget[] = [];
  const applyDefaultTarget = (repo: FakeRepo, target: WebhookTarget) => {
    if (target.repo !== undefined && repoKey(repo.owner, repo.name) !== target.repo.toLowerCase())
      return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const existing = [...state.hooks.values()].find(
      (hook) => hook.origin === 'default' && hook.scope.kind === 'repo' && hook.scope.repo === repo,
    );
    const config = { url: target.url, secret: target.secret, content_type: 'json' as const };
    if (existing) {
      existing.config = { ...existing.config, ...config };
      existing.updatedAt = now;
      return;
    }
    const id = state.nextId('hook');
    state.hooks.set(id, {
      id,
      scope: { kind: 'repo', repo },
      config: { ...config, insecure_ssl: '0' },
      events: ['workflow_job'],
      active: true,
      origin: 'default',
      createdAt: now,
      updatedAt: now,
      lastResponse: { code: null, status: 'unused', message: null },
    });
  };

  const addRepo = (input: RepoInput): FakeRepo => {
    const key = repoKey(input.owner, input.name);
    const known = state.repos.get(key);
    if (known) return known;
    let org = undefined;
    if (input.org) {
      org = state.orgs.get(input.owner.toLowerCase()) ?? {
        id: state.nextId('org'),
        login: input.owner,
      };
      state.orgs.set(input.owner.toLowerCase(), org);
    }
    const repo = { id: state.nextId('repo'), owner: input.owner, name: input.name, org };
    state.repos.set(key, repo);
    for (const target of defaultTargets) applyDefaultTarget(repo, target);
    return repo;
  };
  const defaultRepo = addRepo(options.repo ?? { owner: 'octocat', name: 'hello-world' });
  const resolveRepo = (repo: string | FakeRepo | undefined): FakeRepo => {
    if (repo === undefined) return defaultRepo;
    if (typeof repo !== 'string') return repo;
    const found = state.repos.get(repo.toLowerCase());
    if (!found) throw new Error(`fake-github: unknown repository ${repo}`);
    return found;
  };
  const setWebhookTarget = (target: WebhookTarget) => {
    defaultTargets.push(target);
    for (const repo of state.repos.values()) applyDefaultTarget(repo, target);
  };
  if (options.webhookTarget) setWebhookTarget(options.webhookTarget);

  return {
    url,
    token: [...tokens][0] ?? '',
    defaultRepo,
    unexpectedRequests: state.unexpectedRequests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    addRepo,
    setWebhookTarget,
    async queueJob(input) {
      const job = await flow.queue({
        repo: resolveRepo(input.repo),
        labels: input.labels,
        durationMs: input.durationMs ?? options.defaultJobDurationMs ?? 200,
        sendWebhook: input.sendWebhook ?? true,
        ...(input.runId === undefined ? {} : { runId: input.runId }),
      });
      return { id: job.id, runId: job.runId };
    },
    cancelJob: (id) => flow.cancel(id),
    sendWebhook(event, payload, sendOptions = {}) {
      const fullName = (payload as { repository?: { full_name?: unknown } } | null)?.repository
        ?.full_name;
      const repo = resolveRepo(
        sendOptions.repo ?? (typeof fullName === 'string' ? fullName : undefined),
      );
      return dispatch(repo, event, payload, {
        ...(sendOptions.deliveryId === undefined ? {} : { guid: sendOptions.deliveryId }),
        ...(sendOptions.signatureOverride === undefined
          ? {}
          : { signatureOverride: sendOptions.signatureOverride }),
        ...(sendOptions.rawBody === undefined ? {} : { rawBody: sendOptions.rawBody }),
      });
    },
    jobs: () => [...state.jobs.values()],
    job: (id) => state.jobs.get(id),
    runners: () => [...state.runners.values()],
    hooks: () => [...state.hooks.values()],
    deliveries: () => [...state.deliveries],
    requests: () => [...state.requests],
    async waitFor(predicate, timeoutMs = 10_000, message = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`fake-github: timed out waiting for ${message}`);
        await sleep(20);
      }
    },
    settled: () => sender.settled(),
    failNext: (fault) => faults.failNext(fault),
    failAlways: (fault) => faults.failAlways(fault),
    clearFaults: () => faults.clear(),
    exhaustRateLimit: (resetInSeconds = 60) => rateLimit.exhaust(resetInSeconds),
    resetRateLimit: () => rateLimit.reset(),
    rateLimit: () => rateLimit.snapshot(),
    dropWebhooks: (rate) => sender.setDropRate(rate),
  };
}
