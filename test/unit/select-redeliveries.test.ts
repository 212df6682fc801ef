import { describe, expect, it } from 'vitest';
import type { HookDelivery } from '../../controller/src/github/hook-api.ts';
import { selectRedeliveries } from '../../controller/src/webhook/select-redeliveries.ts';

let next = 100;
const delivery = (
  guid: string,
  status: number,
  overrides: Partial<HookDelivery> = {},
): HookDelivery => ({
  id: (next += 1),
  guid,
  delivered_at: new Date(next * 1000).toISOString(),
  redelivery: false,
  status_code: status,
  event: 'workflow_job',
  ...overrides,
});
const options = { limit: 10, maxAttempts: 3, attemptsOf: () => 0 };

describe('selectRedeliveries', () => {
  it('picks failures a retry can fix, once per guid, the latest attempt', () => {
    const a1 = delivery('a', 502);
    const a2 = delivery('a', 504, { redelivery: true });
    const b = delivery('b', 202);
    const c = delivery('c', 0);
    const plan = selectRedeliveries([c, b, a2, a1], 0, options);
    expect(plan.redeliver.map((d) => d.id)).toEqual([a2.id, c.id]);
    expect(plan.cursor).toBe(c.id);
  });

  it('skips guids that succeeded later, our own 4xx answers, other events and older ids', () => {
    const old = delivery('old', 502);
    const failedThenOk = [delivery('x', 502), delivery('x', 202, { redelivery: true })];
    const rejected = delivery('y', 401);
    const ping = delivery('z', 502, { event: 'ping' });
    const plan = selectRedeliveries([old, ...failedThenOk, rejected, ping], old.id, options);
    expect(plan.redeliver).toEqual([]);
    expect(plan.cursor).toBe(ping.id);
  });

  it('stops at the limit without moving the cursor past what still waits', () => {
    const failures = [delivery('p', 502), delivery('q', 502), delivery('r', 502)];
    const plan = selectRedeliveries(failures, 0, { ...options, limit: 2 });
    expect(plan.redeliver.map((d) => d.guid)).toEqual(['p', 'q']);
    expect(plan.cursor).toBe(failures[1]?.id);
  });

  it('gives up a guid after the maximum number of attempts', () => {
    const failure = delivery('tired', 502);
    expect(selectRedeliveries([failure], 0, { ...options, attemptsOf: () => 3 }).redeliver).toEqual(
      [],
    );
  });

  it('passes over deliveries older than notBefore, whose jobs GitHub has failed by now', () => {
    const old = delivery('old', 502);
    const fresh = delivery('fresh', 502);
    const notBefore = Date.parse(fresh.delivered_at);
    const plan = selectRedeliveries([fresh, old], 0, { ...options, notBefore });
    expect(plan.redeliver.map((d) => d.guid)).toEqual(['fresh']);
    expect(plan.cursor).toBe(fresh.id);
  });
});
