import { describe, expect, it } from 'vitest';
import type { ApiUsageEntry } from '../support/fakes/fake-github/api-usage.ts';
import { summarizeApiUsage } from '../support/fakes/fake-github/api-usage-summary.ts';
import {
  createSecondaryLimits,
  type Admission,
  type SecondaryLimitsOption,
} from '../support/fakes/fake-github/secondary-limits.ts';

/** Secondary limits on a clock the test moves. */
function limitsAt(option: SecondaryLimitsOption) {
  let clock = 1_000_000;
  const limits = createSecondaryLimits(option, () => clock);
  const hold = (method = 'GET', credential = 'token-a'): Admission =>
    limits.admit({ credential, method, path: '/x', route: '/x' });
  /** A request answered at once: it leaves the concurrent ones. */
  const send = (method = 'GET', credential = 'token-a'): Admission => {
    const admission = hold(method, credential);
    if (admission.admitted) admission.release();
    return admission;
  };
  return {
    limits,
    hold,
    send,
    at: (ms: number) => {
      clock = 1_000_000 + ms;
    },
  };
}

/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string | RegExp): unknown =>
  typeof pattern === 'string' ? expect.stringContaining(pattern) : expect.stringMatching(pattern);

const retryAfter = (admission: Admission): number | undefined =>
  admission.admitted ? undefined : Number(admission.response.headers?.['retry-after']);

describe('secondary limits (sliding windows, per credential)', () => {
  it('admits within the points of the last 60 s and says when the window has room again', () => {
    const { limits, send, at } = limitsAt({ pointsPerMinute: 10, retryAfterSeconds: 1 });
    for (let second = 0; second < 10; second += 1) {
      at(second * 1000);
      expect(send().admitted).toBe(true);
    }
    at(10_000);
    // The request of second 0 leaves the window at 60 s.
    expect(retryAfter(send())).toBe(50);
    expect(send('GET', 'token-b').admitted).toBe(true);
    at(59_900);
    expect(retryAfter(send())).toBe(1);
    at(60_000);
    expect(send().admitted).toBe(true);
    // Seconds 1..9 and 60 are in the window: full until second 1 leaves at 61 s.
    expect(retryAfter(send())).toBe(1);
    expect(limits.answers()).toMatchObject({
      count: 3,
      byCredential: { 'token-a': 3 },
      answers: [{ reason: 'points' }, { reason: 'retry-after' }, { reason: 'points' }],
    });
  });

  it('charges 5 points for a write and 1 for a read', () => {
    const { send } = limitsAt({ pointsPerMinute: 11 });
    expect(send('POST').admitted).toBe(true);
    expect(send('DELETE').admitted).toBe(true);
    expect(send('GET').admitted).toBe(true);
    expect(send('HEAD').admitted).toBe(false);
  });

  it('counts POST, PATCH and PUT as content-generating, not DELETE, per minute and per hour', () => {
    const minute = limitsAt({ contentPerMinute: 3 });
    for (const method of ['POST', 'DELETE', 'PATCH', 'DELETE', 'PUT'])
      expect(minute.send(method).admitted).toBe(true);
    const refused = minute.send('POST');
    expect(retryAfter(refused)).toBe(60);
    expect(refused.admitted ? undefined : refused.response.body).toMatchObject({
      message: text(/^You have exceeded a secondary rate limit and have been/),
    });
    expect(minute.limits.answers().answers[0]?.reason).toBe('content-minute');

    const hour = limitsAt({ contentPerHour: 2, retryAfterSeconds: 1 });
    hour.send('POST');
    hour.at(600_000);
    hour.send('POST');
    hour.at(1_200_000);
    // The first leaves the hour at 3,600 s.
    expect(retryAfter(hour.send('POST'))).toBe(2400);
    expect(hour.limits.answers().answers[0]?.reason).toBe('content-hour');
  });

  it('refuses a request beyond the concurrent ones until one is released', () => {
    const { limits, hold, send, at } = limitsAt({ concurrent: 2, retryAfterSeconds: 2 });
    const first = hold();
    expect(hold().admitted).toBe(true);
    expect(retryAfter(hold())).toBe(2);
    if (first.admitted) first.release();
    at(1000);
    expect(retryAfter(send())).toBe(1);
    at(2000);
    expect(send().admitted).toBe(true);
    expect(limits.answers().answers.map((answer) => answer.reason)).toEqual([
      'concurrent',
      'retry-after',
    ]);
  });

  it('enforces nothing when off but a forced limit, on its credential only', () => {
    const { limits, send, at } = limitsAt(false);
    for (let i = 0; i < 2000; i += 1) send('POST');
    expect(send().admitted).toBe(true);
    limits.force('token-a', 3);
    at(500);
    const refused = send();
    expect(retryAfter(refused)).toBe(3);
    expect(refused.admitted ? undefined : refused.response).toMatchObject({
      status: 403,
      body: {
        message: text(/^You have exceeded a secondary rate limit\. Please wait/),
        documentation_url: text('#about-secondary-rate-limits'),
      },
    });
    expect(send('GET', 'token-b').admitted).toBe(true);
    at(3000);
    expect(send().admitted).toBe(true);
    expect(limits.answers()).toMatchObject({ count: 1, answers: [{ reason: 'forced' }] });
  });

  it('uses GitHub figures for true, and 429 when asked', () => {
    const github = limitsAt(true);
    for (let i = 0; i < 80; i += 1) expect(github.send('POST').admitted).toBe(true);
    const refused = github.send('POST');
    expect(refused.admitted ? undefined : refused.response.status).toBe(403);
    const reads = limitsAt(true);
    for (let i = 0; i < 900; i += 1) expect(reads.send('GET').admitted).toBe(true);
    expect(reads.send('GET').admitted).toBe(false);
    const tooMany = limitsAt({ status: 429, pointsPerMinute: 1 }).send('POST');
    expect(tooMany.admitted ? undefined : tooMany.response.status).toBe(429);
  });
});

/** `end` null: still in flight. */
const entry = (start: number, method: string, end: number | null = start + 10) =>
  ({
    credential: 't',
    method,
    path: '/x',
    route: '/x',
    start,
    end: end ?? undefined,
    status: 200,
    secondaryLimited: false,
  }) satisfies ApiUsageEntry;

describe('summarizeApiUsage', () => {
  it('sums points, writes and content, with rates, 60-s peaks and concurrency', () => {
    const entries = [
      entry(0, 'GET', 5000),
      entry(1000, 'POST', 2000),
      entry(1500, 'DELETE'),
      entry(70_000, 'GET'),
      entry(70_000, 'PATCH'),
      entry(90_000, 'POST'),
      entry(119_000, 'GET'),
    ];
    const summary = summarizeApiUsage(entries, { from: 0, to: 120_000 });
    expect(summary).toMatchObject({
      requests: 7,
      points: 3 + 4 * 5,
      writes: 4,
      contentGenerating: 3,
      byMethod: { GET: 3, POST: 2, DELETE: 1, PATCH: 1 },
      spanMs: 120_000,
      perMinute: { requests: 3.5, points: 11.5, writes: 2, contentGenerating: 1.5 },
      // 70 s to 119 s: GET, PATCH, POST, GET.
      peak60s: { requests: 4, points: 12, writes: 2, contentGenerating: 2 },
      maxConcurrent: 3,
    });
    expect(summarizeApiUsage(entries, { from: 60_000 }).requests).toBe(4);
  });

  it('keeps a request without an end in flight', () => {
    const summary = summarizeApiUsage([entry(0, 'GET', null), entry(100_000, 'GET')]);
    expect(summary.maxConcurrent).toBe(2);
    expect(summary.spanMs).toBe(100_000);
  });
});
