import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../controller/src/http/build-app.ts';
import { healthyPool, type PoolHealth } from '../../controller/src/reconcile/pool-health.ts';
import type { EngineStatus } from '../../controller/src/runners/runtime.ts';
import { healthReport } from '../../controller/src/status/health-report.ts';
import type { StatusModel } from '../../controller/src/status/status-model.ts';
import { statusView } from '../../controller/src/status/status-view.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

// Review of issue 19: docs/monitoring.md named two causes of /health's 503 (the engine, an
// outdated image) and left out GitHub, a failed pass and shutting down. Each cause the doc names
// is played here through the real report and app, and what it calls degraded answers 200.
const config = testConfig({ GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't' });
const poolId = config.pools[0]?.id ?? '';
const engine = (id: string, up: boolean): EngineStatus => ({
  id,
  endpoint: `unix:///${id}.sock`,
  capacity: 2,
  labels: {},
  up,
  platforms: ['linux/amd64'],
  runtimes: ['runc'],
  error: up ? undefined : 'connect ENOENT',
  downSince: up ? undefined : 0,
});
const poolHealth = (change: Partial<PoolHealth>): PoolHealth => ({ ...healthyPool(), ...change });
const healthy: StatusModel = {
  config,
  now: () => 0,
  runners: () => [],
  waitingJobs: () => 0,
  waits: () => ({ jobs: [], counts: [] }),
  jobs: () => [],
  engines: () => [engine('local', true)],
  engineError: () => undefined,
  refusedPools: () => new Set(),
  poolHealth: () => poolHealth({}),
  image: () => undefined,
  scaleSet: () => undefined,
  github: () => ({ reachable: true, lastError: undefined, lastSyncAt: 0 }),
  hook: () => undefined,
  unserved: () => [],
  releases: () => ({ latest: undefined, releases: [], checkedAt: undefined, error: undefined }),
  credentials: () => [],
};

async function answer(model: StatusModel, accepting = true) {
  const app = buildApp({
    log: pino({ level: 'silent' }),
    bodyLimit: 1024,
    registry: new Registry(),
    accepting: () => accepting,
    health: () => healthReport(model),
    status: () => statusView(model),
    handleDelivery: () => ({ status: 202, result: 'accepted', message: '' }),
  });
  const reply = await app.inject({ method: 'GET', url: '/health' });
  await app.close();
  return { code: reply.statusCode, status: reply.json<{ status: string }>().status };
}

// Each cause as docs/monitoring.md words it, and the model that holds it.
const failing: [string, StatusModel][] = [
  ['no Docker engine answers', { ...healthy, engines: () => [engine('local', false)] }],
  ['the last reconcile pass failed', { ...healthy, engineError: () => 'listing failed' }],
  [
    'GitHub is unreachable for a repository or organization',
    {
      ...healthy,
      github: () => ({ reachable: false, lastError: 'GitHub answered 502', lastSyncAt: 0 }),
    },
  ],
  [
    "a pool's runner image is outdated",
    { ...healthy, poolHealth: () => poolHealth({ imageOutdated: true }) },
  ],
];
const degraded: [string, StatusModel][] = [
  [
    'one engine of several down',
    { ...healthy, engines: () => [engine('a', true), engine('b', false)] },
  ],
  [
    'a credential GitHub refuses',
    {
      ...healthy,
      github: () => ({ reachable: true, lastError: 'GitHub answered 401', lastSyncAt: 0 }),
    },
  ],
  ['a pool no engine can run', { ...healthy, refusedPools: () => new Set([poolId]) }],
  [
    'runners failing to start',
    { ...healthy, poolHealth: () => poolHealth({ startFailures: 3, lastError: 'no such image' }) },
  ],
];
const monitoring = readFileSync(new URL('../../docs/monitoring.md', import.meta.url), 'utf8');
const healthBullet = (
  monitoring.split('- `GET /health`')[1]?.split('\n- `GET /livez`')[0] ?? ''
).replace(/\s+/g, ' ');

describe('/health answers 503 for what docs/monitoring.md says, and only for it', () => {
  it('is 200 and ok when all is well', async () => {
    expect(await answer(healthy)).toEqual({ code: 200, status: 'ok' });
  });

  it.each(failing)('503, failing: %s', async (cause, model) => {
    expect(healthBullet).toContain(cause);
    expect(await answer(model)).toEqual({ code: 503, status: 'failing' });
  });

  it('503 while shutting down, whatever the report says', async () => {
    expect(healthBullet).toContain('the controller is shutting down');
    expect(await answer(healthy, false)).toEqual({ code: 503, status: 'ok' });
  });

  it.each(degraded)('200, degraded: %s', async (cause, model) => {
    expect(healthBullet).toContain(cause);
    expect(await answer(model)).toEqual({ code: 200, status: 'degraded' });
  });
});
