import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { observeAttempts } from '../../controller/src/metrics/attempt-observer.ts';
import { Reachability } from '../../controller/src/github/reachability.ts';
import { createMetrics } from '../../controller/src/metrics/metrics.ts';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createMetrics();
  const reach = new Reachability();
  const observe = observeAttempts('token-1', reach, metrics, pino(stream));
  return { lines, metrics, reach, observe };
}

describe('observeAttempts', () => {
  it('marks GitHub unreachable on a network error or a 5xx and reachable again on any answer', () => {
    const t = setup();
    t.observe({ status: undefined, rateLimitRemaining: undefined, error: 'fetch failed' });
    expect(t.reach.reachable).toBe(false);
    t.observe({ status: 404, rateLimitRemaining: 4000, error: undefined });
    expect(t.reach.reachable).toBe(true);
  });

  it('counts requests by status class and shows the rate limit left', async () => {
    const t = setup();
    t.observe({ status: 200, rateLimitRemaining: 4999, error: undefined });
    t.observe({ status: 502, rateLimitRemaining: 4998, error: 'GitHub answered 502' });
    t.observe({ status: 403, rateLimitRemaining: 4997, error: undefined, secondaryLimit: true });
    const text = await t.metrics.registry.metrics();
    expect(text).toContain('autoscaler_github_requests_total{credential="token-1",status="2xx"} 1');
    expect(text).toContain('autoscaler_github_requests_total{credential="token-1",status="5xx"} 1');
    expect(text).toContain('autoscaler_github_rate_limit_remaining{credential="token-1"} 4997');
    expect(text).toContain('autoscaler_github_secondary_limits_total{credential="token-1"} 1');
  });

  it('logs when the rate limit falls past a thousand, and warns when it runs low', () => {
    const t = setup();
    for (const remaining of [2001, 2000, 1999, 1500, 101, 99, 98]) {
      t.observe({ status: 200, rateLimitRemaining: remaining, error: undefined });
    }
    expect(t.lines.map((line) => [line.msg, line.remaining])).toEqual([
      ['github rate limit remaining', 1999],
      ['github rate limit remaining', 101],
      ['github rate limit nearly used up', 99],
    ]);
  });
});
