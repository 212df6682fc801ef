import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedMetricNames } from '../support/fixtures/exported-metrics.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

type Panel = { title: string; targets?: { expr: string }[] };

describe('observability files', () => {
  it('the Grafana dashboard queries only metrics the controller exports, and uses every one', async () => {
    const dashboard = JSON.parse(read('observability/grafana-dashboard.json')) as {
      panels: Panel[];
      templating: { list: { query?: unknown }[] };
    };
    const exprs = [
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
      ...dashboard.templating.list.map((variable) =>
        typeof variable.query === 'string' ? variable.query : '',
      ),
    ];
    const used = new Set(exprs.flatMap((expr) => expr.match(/\bautoscaler_[a-z_]+/g) ?? []));
    const exported = await exportedMetricNames();
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    const unused = [...exported].filter(
      (name) => !name.match(/_(bucket|sum|count)$/) && ![...used].some((u) => base(u) === name),
    );
    expect(unused).toEqual([]);
  });

  it('the Prometheus scrape config parses and scrapes /metrics', () => {
    const config = parse(read('observability/prometheus.yml')) as {
      scrape_configs: {
        job_name: string;
        metrics_path: string;
        static_configs: { targets: string[] }[];
      }[];
    };
    const job = config.scrape_configs.find(
      (candidate) => candidate.job_name === 'runner-autoscaler',
    );
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toEqual(['127.0.0.1:8080']);
  });

  it('every exported metric is listed in docs/monitoring.md', async () => {
    const readme = read('docs/monitoring.md');
    const missing = [...(await exportedMetricNames())]
      .filter((name) => !name.match(/_(bucket|sum|count)$/))
      .filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
