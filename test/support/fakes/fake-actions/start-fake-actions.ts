import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdminJwt } from './admin-jwt.ts';
import type { FakeActions, FakeActionsOptions } from './fake-actions.ts';
import { createJobFlow } from './job-flow.ts';
import { createMessageQueue } from './message-queue.ts';
import { addRegistrationRoutes } from './registration-routes.ts';
import { createRequestListener } from './request-listener.ts';
import { createRoutes } from './routes.ts';
import { addRunnerRoutes } from './runner-routes.ts';
import { addScaleSetRoutes } from './scale-set-routes.ts';
import { sessionActive, type ServiceContext } from './service-context.ts';
import { addSessionRoutes } from './session-routes.ts';
import { configKey, createFakeActionsState, type FakeScaleSet, type FakeTenant } from './state.ts';
import { addStubRoutes } from './stub-routes.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a fake of GitHub's Actions service for runner scale sets (registration exchange,
 * scale sets, sessions, message queue, acquire, JIT, runner stub routes) on 127.0.0.1 or
 * `options.host`, random port. Behaviour from github.com/actions/scaleset at
 * 6ce025902cd964747a078c2aabe7340ebc667eca; see test/support/README.md, "Fake Actions service".
 */
export async function startFakeActions(options: FakeActionsOptions = {}): Promise<FakeActions> {
  const state = createFakeActionsState();
  const prefix = (options.apiPathPrefix ?? '').replace(/\/+$/, '');
  const settings = {
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    longPollMs: options.longPollMs ?? 5_000,
    adminTokenTtlMs: options.adminTokenTtlMs ?? 3_600_000,
    acceptRegistrationToken: options.acceptRegistrationToken,
  };
  const jwt = createAdminJwt(() => settings.adminTokenTtlMs);
  const queue = createMessageQueue(state);
  const flow = createJobFlow(state, queue);
  let url = '';
  const ctx: ServiceContext = {
    state,
    jwt,
    queue,
    flow,
    settings,
    origin: () => url,
    violation: (req, problem) =>
      state.violations.push({ method: req.method, path: req.path, problem }),
  };

  const removeScaleSet = (scaleSet: FakeScaleSet) => {
    scaleSet.deleted = true;
    for (const session of state.sessions.values())
      if (session.scaleSet === scaleSet && !session.ended) session.ended = 'scale-set-deleted';
    flow.drop(scaleSet);
    queue.wake(scaleSet);
  };
  const routes = createRoutes();
  addRegistrationRoutes(routes, ctx, prefix);
  addScaleSetRoutes(routes, ctx, removeScaleSet);
  addSessionRoutes(routes, ctx);
  addRunnerRoutes(routes, ctx);
  addStubRoutes(routes, state, flow);
  const http = createRequestListener(routes, state);

  const server = createServer(http.listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}`;

  const addConfigUrl = (configUrl: string): FakeTenant => {
    const key = configKey(configUrl);
    const known = state.tenants.get(key);
    if (known) return known;
    const tenant = {
      id: state.nextId('tenant'),
      configUrl: configUrl.replace(/\/+$/, ''),
      runnerGroups: [{ id: 1, name: 'Default', isDefaultGroup: true }],
    };
    state.tenants.set(key, tenant);
    return tenant;
  };
  const configUrls = options.configUrls ?? ['https://github.com/octocat/hello-world'];
  const first = addConfigUrl(configUrls[0] ?? 'https://github.com/octocat/hello-world');
  for (const configUrl of configUrls.slice(1)) addConfigUrl(configUrl);
  const tenantOf = (configUrl: string | undefined): FakeTenant => {
    if (configUrl === undefined) return first;
    const tenant = state.tenants.get(configKey(configUrl));
    if (!tenant) throw new Error(`fake-actions: unknown config URL ${configUrl}`);
    return tenant;
  };
  const scaleSetNamed = (name: string, configUrl?: string) => {
    const tenant = tenantOf(configUrl);
    return [...state.scaleSets.values()].find(
      (s) => !s.deleted && s.tenant === tenant && s.name === name,
    );
  };
  const requireScaleSet = (name: string, configUrl?: string) => {
    const found = scaleSetNamed(name, configUrl);
    if (!found) throw new Error(`fake-actions: no scale set named ${name}`);
    return found;
  };
  const issueRegistrationToken = (configUrl?: string) => {
    const token = `AREG${randomBytes(18).toString('hex').toUpperCase()}`;
    state.registrationTokens.set(token, {
      configUrl: tenantOf(configUrl).configUrl,
      expiresAt: Date.now() + 3_600_000,
    });
    return token;
  };

  return {
    url,
    apiUrl: `${url}${prefix}`,
    configUrl: first.configUrl,
    unexpectedRequests: state.unexpectedRequests,
    violations: state.violations,
    assertClean() {
      if (state.unexpectedRequests.length === 0 && state.violations.length === 0) return;
      const lines = [
        ...state.unexpectedRequests.map((r) => `  unexpected: ${r.method} ${r.path} → ${r.status}`),
        ...state.violations.map((v) => `  violation: ${v.method} ${v.path}: ${v.problem}`),
      ];
      throw new Error(`fake-actions:\n${lines.join('\n')}`);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    addConfigUrl: (configUrl) => void addConfigUrl(configUrl),
    addRunnerGroup(name, configUrl) {
      const tenant = tenantOf(configUrl);
      const id = Math.max(...tenant.runnerGroups.map((g) => g.id)) + 1;
      tenant.runnerGroups.push({ id, name, isDefaultGroup: false });
      return id;
    },
    issueRegistrationToken,
    registrationTokenSource(configUrl) {
      let calls = 0;
      return Object.assign(
        () => {
          calls += 1;
          return Promise.resolve(issueRegistrationToken(configUrl));
        },
        { calls: () => calls },
      );
    },
    queueJob(input) {
      const tenant = tenantOf(input.configUrl);
      const labels = input.labels ?? (input.scaleSet === undefined ? [] : [input.scaleSet]);
      if (labels.length === 0) throw new Error('fake-actions: queueJob needs labels or scaleSet');
      const path = new URL(tenant.configUrl).pathname.split('/').filter(Boolean);
      const [owner = 'octocat', name = 'app'] = (
        input.repository ?? `${path[0] ?? 'octocat'}/${path[1] ?? 'app'}`
      ).split('/');
      return flow.queue({
        tenant,
        labels,
        durationMs: input.durationMs ?? 200,
        owner,
        repository: name,
        ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
      });
    },
    cancelJob(runnerRequestId) {
      const job = state.jobs.get(runnerRequestId);
      if (!job) throw new Error(`fake-actions: no job ${runnerRequestId}`);
      flow.cancel(job);
    },
    failNext: (fault) => http.failNext(fault),
    failNextPoll: (status = 401) => http.failNext({ status, match: /^GET .*\/messages$/ }),
    clearFaults: () => http.clearFaults(),
    expireMessageQueueTokens() {
      for (const session of state.sessions.values()) session.tokenValid = false;
    },
    expireAdminTokens: () => jwt.revokeAll(),
    deleteScaleSet: (name, configUrl) => removeScaleSet(requireScaleSet(name, configUrl)),
    expireSession(sessionId) {
      const session = state.sessions.get(sessionId);
      if (!session) throw new Error(`fake-actions: no session ${sessionId}`);
      session.ended = 'expired';
      queue.wake(session.scaleSet);
    },
    evictSession(sessionId) {
      const session = state.sessions.get(sessionId);
      if (!session) throw new Error(`fake-actions: no session ${sessionId}`);
      session.ended = 'evicted';
      queue.wake(session.scaleSet);
    },
    outage: (outage) => http.beginOutage(outage),
    endOutage() {
      http.endOutage();
      return Date.now();
    },
    hanging: () => http.hanging(),
    scaleSets: () => [...state.scaleSets.values()],
    scaleSet: scaleSetNamed,
    sessions: () =>
      [...state.sessions.values()].map((s) => ({ ...s, active: sessionActive(ctx, s) })),
    jobs: () => [...state.jobs.values()],
    job: (id) => state.jobs.get(id),
    runners: () => [...state.runners.values()],
    messages: (name, configUrl) => requireScaleSet(name, configUrl).messages,
    statistics: (name, configUrl) => flow.statistics(requireScaleSet(name, configUrl)),
    requests: () => [...state.requests],
    exchanges: () => state.exchanges,
    async waitFor(predicate, timeoutMs = 10_000, message = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline)
          throw new Error(`fake-actions: timed out waiting for ${message}`);
        await sleep(20);
      }
    },
  };
}
