import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAppAuth } from './app-auth.ts';
import { addAppRoutes } from './app-routes.ts';
import { createContractChecker } from './contract.ts';
import { addDeliveryRoutes } from './delivery-routes.ts';
import { createDispatcher } from './dispatcher.ts';
import type { FakeGitHub, FakeGitHubOptions, RepoInput, WebhookTarget } from './fake-github.ts';
import { createFaults } from './faults.ts';
import { addHookRoutes } from './hook-routes.ts';
import { createJobFlow } from './job-flow.ts';
import { addMiscRoutes } from './misc-routes.ts';
import { addReleaseRoutes } from './release-routes.ts';
import { createRateLimit } from './rate-limit.ts';
import { createRequestListener } from './request-listener.ts';
import { createRouter } from './router.ts';
import { addActionsExchangeRoute } from './actions-exchange-route.ts';
import { addRegistrationRoutes } from './registration-routes.ts';
import { addRunRoutes } from './run-routes.ts';
import { addRunnerRoutes } from './runner-routes.ts';
import { createRunnerTokens } from './runner-tokens.ts';
import {
  createFakeState,
  repoKey,
  type ContractViolation,
  type FakeRepo,
  type RequestLogEntry,
} from './state.ts';
import { addStubRoutes } from './stub-routes.ts';
import { createUsageControls } from './usage-controls.ts';
import { createWebhookSender } from './webhook-sender.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `/api/v3/` → `/api/v3`; '' for none. */
function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function describeProblems(
  unexpected: readonly RequestLogEntry[],
  violations: readonly ContractViolation[],
): string {
  const lines: string[] = [];
  if (unexpected.length > 0) {
    lines.push(`${unexpected.length} request(s) matched no route of the fake:`);
    for (const r of unexpected) lines.push(`  ${r.method} ${r.path} → ${r.status}`);
  }
  if (violations.length > 0) {
    lines.push(`${violations.length} OpenAPI contract violation(s):`);
    for (const v of violations) {
      const status = v.status === undefined ? '' : ` ${v.status}`;
      lines.push(`  ${v.method} ${v.path} (${v.template}) ${v.where}${status}:`);
      for (const error of v.errors) lines.push(`    ${error}`);
    }
  }
  return lines.join('\n');
}

/** Starts a fake GitHub API on 127.0.0.1 or `options.host` (random port); see test/support/README.md. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const state = createFakeState();
  const auth = createAppAuth(options.tokens ?? ['test-token'], options.apps ?? []);
  const pathPrefix = normalizePrefix(options.pathPrefix);
  const host = options.host ?? '127.0.0.1';
  // Built once per process (≈0.7 s the first time).
  const contract = options.contractCheck === false ? undefined : createContractChecker();
  const rateLimit = createRateLimit(options.rateLimit ?? 5000);
  const faults = createFaults();
  const limits = createUsageControls(options.secondaryLimits, auth.tokens[0] ?? '');
  const sender = createWebhookSender(state, options.webhookTimeoutMs ?? 10_000);
  const dispatch = createDispatcher(state, sender);
  let url = '';
  const origin = () => url;
  const baseUrl = () => `${url}${pathPrefix}`;
  const flow = createJobFlow(state, baseUrl, dispatch);
  const router = createRouter();
  addRunnerRoutes(router, state, baseUrl, origin);
  addAppRoutes(router, state, auth, baseUrl);
  addRunRoutes(router, state, baseUrl);
  addHookRoutes(router, state, sender, baseUrl);
  addDeliveryRoutes(router, state, sender, baseUrl);
  addMiscRoutes(router, state, rateLimit, baseUrl);
  addReleaseRoutes(router, state, baseUrl);
  addStubRoutes(router, flow, state);
  const runnerTokens = createRunnerTokens();
  addRegistrationRoutes(router, state, runnerTokens);
  let actionsService: string | undefined;
  addActionsExchangeRoute(router, state, runnerTokens, () => actionsService);

  const server = createServer(
    createRequestListener({
      router,
      state,
      rateLimit,
      faults,
      auth,
      baseUrl,
      pathPrefix,
      secondaryLimits: limits.secondaryLimits,
      usage: limits.usage,
      ...(contract && { contract }),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}`;

  const defaultTargets: WebhookTarget[] = [];
  const applyDefaultTarget = (repo: FakeRepo, target: WebhookTarget) => {
    if (target.repo !== undefined && repoKey(repo.owner, repo.name) !== target.repo.toLowerCase())
      return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const existing = [...state.hooks.values()].find(
      (hook) => hook.origin === 'default' && hook.scope.kind === 'repo' && hook.scope.repo === repo,
    );
    const config = {
      url: target.url,
      secret: target.secret,
      content_type: target.contentType ?? 'json',
      insecure_ssl: target.insecureSsl === true ? '1' : '0',
    };
    if (existing) {
      existing.config = { ...existing.config, ...config };
      existing.updatedAt = now;
      return;
    }
    const id = state.nextId('hook');
    state.hooks.set(id, {
      id,
      scope: { kind: 'repo', repo },
      config,
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
    apiUrl: baseUrl(),
    token: auth.tokens[0] ?? '',
    defaultRepo,
    unexpectedRequests: state.unexpectedRequests,
    contractViolations: state.contractViolations,
    assertClean() {
      if (state.unexpectedRequests.length === 0 && state.contractViolations.length === 0) return;
      throw new Error(
        `fake-github: ${describeProblems(state.unexpectedRequests, state.contractViolations)}`,
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    addRepo,
    setWebhookTarget,
    useActionsService: (apiUrl: string) => {
      actionsService = apiUrl.replace(/\/+$/, '');
    },
    addRunnerGroup(orgLogin, name) {
      const org = state.orgs.get(orgLogin.toLowerCase());
      if (!org) throw new Error(`fake-github: unknown organization ${orgLogin} (addRepo it first)`);
      const id = state.nextId('runnerGroup');
      state.runnerGroups.set(id, { id, name, org });
      return id;
    },
    installationTokens: () => auth.issued(),
    expireInstallationTokens: () => auth.expireAll(),
    setTokenDenied: (token, deny) => auth.setDenied(token, deny),
    async queueJob(input) {
      const job = await flow.queue({
        repo: resolveRepo(input.repo),
        labels: input.labels,
        durationMs: input.durationMs ?? options.defaultJobDurationMs ?? 200,
        ...(input.workflow === undefined ? {} : { workflow: input.workflow }),
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
    publishRelease(input) {
      const publishedAt = new Date(input.publishedAt).toISOString().replace(/\.\d+Z$/, 'Z');
      const release = {
        id: state.nextId('release'),
        repo: input.repo.toLowerCase(),
        tagName: input.tagName,
        name: input.name ?? input.tagName,
        prerelease: input.prerelease ?? false,
        publishedAt,
        createdAt: publishedAt,
        assets: (input.assets ?? []).map((asset) => ({
          id: state.nextId('asset'),
          name: asset.name,
          digest: asset.digest ?? null,
          size: asset.size ?? 1,
        })),
      };
      state.releases.push(release);
      return release;
    },
    reports: () => [...state.reports],
    jobs: () => [...state.jobs.values()],
    job: (id) => state.jobs.get(id),
    runners: () => [...state.runners.values()],
    runnerTokens: () => runnerTokens.list(),
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
    ...limits.controls,
  };
}
