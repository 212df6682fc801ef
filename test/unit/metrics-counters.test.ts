import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../controller/src/metrics/metrics.ts';
import { NO_WAITS } from '../../controller/src/reconcile/wait-types.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

describe('failure counters', () => {
  it('exist at 0 for every pool from the start, so that increase() sees the first failure', async () => {
    const config = testConfig({ GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't' });
    const metrics = createMetrics();
    metrics.bindSources({
      config: { pools: config.pools, maxRunners: 1, build: { version: 't', revision: 't' } },
      runners: () => [],
      waits: () => NO_WAITS,
      engines: () => [],
      image: () => undefined,
      scaleSet: () => undefined,
      releases: () => ({ latest: undefined, releases: [], checkedAt: undefined, error: undefined }),
      now: Date.now,
    });
    const text = await metrics.registry.metrics();
    for (const name of [
      'autoscaler_runner_spawn_failures_total',
      'autoscaler_runner_early_exits_total',
      'autoscaler_jobs_given_up_total',
    ])
      expect(text).toContain(`${name}{repo="o-r",pool="o-r"} 0`);
    expect(text).toContain(
      'autoscaler_job_events_total{repo="o-r",pool="o-r",action="in_progress"} 0',
    );
  });
});
