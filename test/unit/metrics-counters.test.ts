import { describe, expect, it } from 'vitest';
import { boundMetrics } from '../support/fixtures/exported-metrics.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';

describe('metrics', () => {
  it('exist at 0 for every pool from the start, so that increase() sees the first failure', async () => {
    const config = testConfig({ GITHUB_URL: 'https://github.com/o/r', GITHUB_TOKEN: 't' });
    const metrics = boundMetrics({
      config: { pools: config.pools, maxRunners: 1, build: { version: 't', revision: 't' } },
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

  it('export each engine as up or down', async () => {
    const engine = (id: string, up: boolean) => ({
      id,
      up,
      endpoint: `unix:///${id}.sock`,
      capacity: 2,
      labels: {},
      platforms: ['linux/amd64'],
      runtimes: undefined,
      error: up ? undefined : 'no answer',
      downSince: up ? undefined : 0,
    });
    const metrics = boundMetrics({ engines: () => [engine('local', true), engine('arm', false)] });
    const text = await metrics.registry.metrics();
    expect(text).toContain('autoscaler_engine_up{engine="local"} 1');
    expect(text).toContain('autoscaler_engine_up{engine="arm"} 0');
  });
});
