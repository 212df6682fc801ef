import { createMetrics } from '../../../controller/src/metrics/metrics.ts';
import { healthReport } from '../../../controller/src/status/health-report.ts';
import type { HealthReport } from '../../../controller/src/status/health-types.ts';
import type { StatusModel } from '../../../controller/src/status/status-model.ts';
import type { ReconcilerSetup } from './reconciler-setup.ts';

/**
 * The status model over a reconciler set up on the fakes, as the composition root makes it
 * over the real parts: what /health, the status page and the metrics read. `extras` stand in
 * for the parts the setup has not (a scale set's health, an image's state).
 */
export function statusModel(s: ReconcilerSetup, extras: Partial<StatusModel> = {}): StatusModel {
  return {
    config: s.config,
    now: Date.now,
    runners: () => s.reconciler.runners(),
    waitingJobs: (poolId) => s.waiting.count(poolId),
    waits: () => s.reconciler.waits(),
    jobs: () => s.jobs.all(),
    engines: () => s.runtime.engines(),
    engineError: () => s.reconciler.engineError(),
    refusedPools: () => s.reconciler.refusedPools(),
    poolHealth: (poolId) => s.reconciler.poolHealth(poolId),
    image: () => undefined,
    scaleSet: () => undefined,
    github: () => undefined,
    hook: () => undefined,
    unserved: () => s.unserved.list(),
    releases: () => ({ latest: undefined, releases: [], checkedAt: undefined, error: undefined }),
    credentials: () => [],
    ...extras,
  };
}

export type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition (comments left out). */
export function parseMetrics(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) return [];
    const [, name = '', labelText = '', value = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, key = '', text = ''] of labelText.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = text;
    return [{ name, labels, value: Number(value) }];
  });
}

export type WaitReading = {
  health: HealthReport;
  /** /health's waiting jobs, oldest first. */
  jobs: HealthReport['waitingJobs'];
  /** A gauge's value for these labels (a subset), undefined when it has no such series. */
  metric: (name: string, labels: Record<string, string>) => number | undefined;
  samples: Sample[];
};

/** What /health and /metrics say now, read from the model as the HTTP app reads it. */
export async function readWaits(model: StatusModel): Promise<WaitReading> {
  const health = healthReport(model);
  const metrics = createMetrics();
  metrics.bindSources(model);
  const samples = parseMetrics(await metrics.registry.metrics());
  return {
    health,
    jobs: health.waitingJobs,
    samples,
    metric: (name, labels) =>
      samples.find(
        (sample) =>
          sample.name === name &&
          Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
      )?.value,
  };
}
