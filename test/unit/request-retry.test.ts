import { RequestError } from '@octokit/request-error';
import { describe, expect, it } from 'vitest';
import { retryAfter } from '../../controller/src/github/request-retry.ts';

const request = { method: 'POST' as const, url: 'https://api.github.com/x', headers: {} };
function answer(status: number, headers: Record<string, string> = {}, message = 'refused') {
  return new RequestError(message, status, {
    request,
    response: { status, url: request.url, headers, data: {} },
  });
}

describe('retryAfter', () => {
  const now = 1_700_000_000_000;

  it('waits as long as a secondary limit asks, three times at most', () => {
    const limited = answer(403, { 'retry-after': '7' });
    expect(retryAfter(limited, 0, now)).toEqual({ kind: 'secondary', waitMs: 7_000 });
    expect(retryAfter(answer(429, { 'retry-after': '2' }), 2, now)?.waitMs).toBe(2_000);
    expect(retryAfter(limited, 3, now)).toBeUndefined();
  });

  it('waits a minute for a secondary limit that names no time, as GitHub advises', () => {
    const limited = answer(403, {}, 'You have exceeded a secondary rate limit. Please wait.');
    expect(retryAfter(limited, 0, now)).toEqual({ kind: 'secondary', waitMs: 60_000 });
  });

  it('waits for the reset of a primary limit used up', () => {
    const reset = String(now / 1000 + 30);
    const used = answer(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    expect(retryAfter(used, 0, now)).toEqual({ kind: 'primary', waitMs: 30_000 });
  });

  it('backs off 1, 4 and 9 s after a server error or no answer, then gives up', () => {
    expect([0, 1, 2, 3].map((n) => retryAfter(answer(502), n, now)?.waitMs)).toEqual([
      1_000,
      4_000,
      9_000,
      undefined,
    ]);
    expect(retryAfter(answer(500, {}, 'fetch failed'), 0, now)?.kind).toBe('server');
  });

  it('leaves everything else to the caller: a 304, a refusal, a 404, an abort', () => {
    expect(retryAfter(answer(304), 0, now)).toBeUndefined();
    expect(
      retryAfter(answer(403, {}, 'Resource not accessible by integration'), 0, now),
    ).toBeUndefined();
    expect(retryAfter(answer(404), 0, now)).toBeUndefined();
    expect(retryAfter(answer(422), 0, now)).toBeUndefined();
    const abort = Object.assign(new Error('shutting down'), { name: 'AbortError', status: 500 });
    expect(retryAfter(abort, 0, now)).toBeUndefined();
  });
});
