import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedMetricNames } from '../support/fixtures/exported-metrics.ts';

/*
 * The alert rules shipped in observability/: valid for Prometheus (`promtool check rules`,
 * loaded by prometheus.yml: `promtool check config`), and
 * right about what fires (`promtool test rules`, series that fire and series that must not for
 * every rule). promtool comes from Debian's prometheus package (.ci/ensure-promtool.sh).
 */

const DIR = fileURLToPath(new URL('../../observability/', import.meta.url));
const RULES = 'alert-rules.yml';
const TESTS = 'alert-rules.test.yml';

type Rule = { alert: string; expr: string };
type RuleTest = { alertname: string; exp_alerts: unknown[] };

function promtool(...args: string[]) {
  const run = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (run.error)
    throw new Error(
      `promtool did not run (${run.error.message}): install it with bash .ci/ensure-promtool.sh`,
    );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const rules = (): Rule[] =>
  (parse(readFileSync(`${DIR}${RULES}`, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
    (group) => group.rules,
  );

const ruleTests = (): RuleTest[] =>
  (
    parse(readFileSync(`${DIR}${TESTS}`, 'utf8')) as { tests: { alert_rule_test: RuleTest[] }[] }
  ).tests.flatMap((test) => test.alert_rule_test);

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const check = promtool('check', 'rules', RULES);
    expect(check.output).toContain('SUCCESS');
    expect(check.status).toBe(0);
  });

  it('are loaded by the scrape config, which promtool check config accepts', () => {
    const check = promtool('check', 'config', 'prometheus.yml');
    expect(check.output).toContain(`SUCCESS: ${rules().length} rules found`);
    expect(check.status).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const test = promtool('test', 'rules', TESTS);
    expect(test.output).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  it('are tested with series that fire and series that must not, every one of them', () => {
    const tests = ruleTests();
    const names = rules().map((rule) => rule.alert);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const mine = tests.filter((test) => test.alertname === name);
      expect({ name, fires: mine.some((test) => test.exp_alerts.length > 0) }).toEqual({
        name,
        fires: true,
      });
      expect({ name, quiet: mine.some((test) => test.exp_alerts.length === 0) }).toEqual({
        name,
        quiet: true,
      });
    }
    // No test of an alert that no longer exists.
    expect(tests.filter((test) => !names.includes(test.alertname))).toEqual([]);
  });

  it('use only metrics the controller exports, besides up and probe_success', async () => {
    const exported = await exportedMetricNames();
    const used = rules().flatMap((rule) => rule.expr.match(/\bautoscaler_[a-z_]+/g) ?? []);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });
});
