import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CredentialPace,
  GITHUB_SECONDARY_LIMITS,
  PACE_LIMITS,
  requestKind,
  type RequestKind,
} from '../../controller/src/github/credential-pace.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const limits = { concurrent: 3, pointsPerMinute: 20, contentPerMinute: 2 };

/** Asks for `kinds` in order; returns what was admitted (by index) as time goes on. */
function ask(pace: CredentialPace, kinds: RequestKind[]) {
  const admitted: number[] = [];
  const releases: (() => void)[] = [];
  kinds.forEach((kind, i) => {
    void pace.acquire(kind).then((release) => {
      admitted.push(i);
      releases.push(release);
    });
  });
  return { admitted, releaseAll: () => releases.splice(0).forEach((release) => release()) };
}

describe('requestKind', () => {
  it('counts GET, HEAD and OPTIONS as reads, DELETE as a write, the rest as creating content', () => {
    expect(['GET', 'head', 'OPTIONS'].map(requestKind)).toEqual(['read', 'read', 'read']);
    expect(requestKind('DELETE')).toBe('write');
    expect(['POST', 'PATCH', 'put'].map(requestKind)).toEqual(['content', 'content', 'content']);
  });
});

describe('CredentialPace', () => {
  it('stays under GitHub documented secondary limits', () => {
    expect(PACE_LIMITS.concurrent).toBeLessThan(GITHUB_SECONDARY_LIMITS.concurrent);
    expect(PACE_LIMITS.pointsPerMinute).toBeLessThan(GITHUB_SECONDARY_LIMITS.pointsPerMinute);
    expect(PACE_LIMITS.contentPerMinute).toBeLessThan(GITHUB_SECONDARY_LIMITS.contentPerMinute);
  });

  it('admits a burst within the limits at once, not one a second', async () => {
    const pace = new CredentialPace({ now: Date.now, limits: { ...limits, concurrent: 50 } });
    const t = ask(pace, ['content', 'content', 'read', 'write']);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.admitted).toEqual([0, 1, 2, 3]);
  });

  it('holds concurrency: the next request goes when one is answered', async () => {
    const pace = new CredentialPace({ now: Date.now, limits });
    const t = ask(pace, ['read', 'read', 'read', 'read']);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.admitted).toEqual([0, 1, 2]);
    t.releaseAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.admitted).toEqual([0, 1, 2, 3]);
  });

  it('keeps content-creating requests within any 60 s, and lets reads and deletes pass them', async () => {
    const pace = new CredentialPace({ now: Date.now, limits: { ...limits, concurrent: 50 } });
    const t = ask(pace, ['content', 'content', 'content', 'write', 'read']);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.admitted).toEqual([0, 1, 3, 4]);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(t.admitted).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(t.admitted).toEqual([0, 1, 3, 4, 2]);
  });

  it('counts 5 points for a write and 1 for a read within the minute', async () => {
    const pace = new CredentialPace({
      now: Date.now,
      limits: { ...limits, concurrent: 50, contentPerMinute: 50 },
    });
    // 3 writes (15 points) and 5 reads (5 points) fill 20; the next read waits for the window.
    const t = ask(pace, [
      'write',
      'write',
      'write',
      'read',
      'read',
      'read',
      'read',
      'read',
      'read',
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.admitted).toHaveLength(8);
    expect(pace.state().pointsLastMinute).toBe(20);
    await vi.advanceTimersByTimeAsync(60_100);
    expect(t.admitted).toHaveLength(9);
  });

  it('waits out a retry-after, then goes on at half the rate, recovering a step a minute', async () => {
    const pace = new CredentialPace({
      now: Date.now,
      limits: { concurrent: 50, pointsPerMinute: 400, contentPerMinute: 8 },
    });
    pace.penalize(3_000);
    const t = ask(pace, ['read']);
    await vi.advanceTimersByTimeAsync(2_900);
    expect(t.admitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(t.admitted).toEqual([0]);
    expect(pace.state()).toMatchObject({ factor: 0.5, penalties: 1 });
    // Half of 8 content-creating requests a minute: 4 now, the rest a minute later.
    const writes = ask(pace, Array<RequestKind>(8).fill('content'));
    await vi.advanceTimersByTimeAsync(0);
    expect(writes.admitted).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pace.factor()).toBe(0.75);
    expect(writes.admitted.length).toBeGreaterThanOrEqual(6);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pace.factor()).toBe(1);
    expect(writes.admitted).toHaveLength(8);
  });

  it('pauses without slowing down for a primary limit used up', async () => {
    const pace = new CredentialPace({ now: Date.now, limits });
    pace.pause(10_000);
    const t = ask(pace, ['read']);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(t.admitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(t.admitted).toEqual([0]);
    expect(pace.factor()).toBe(1);
  });
});

describe('CredentialPace, writes before reads', () => {
  it('holds back reads while a write waits for points, so reads never starve it', async () => {
    const pace = new CredentialPace({
      now: Date.now,
      limits: { concurrent: 50, pointsPerMinute: 10, contentPerMinute: 50 },
    });
    // 9 reads use 9 of 10 points; a write (5) must wait, and reads asked after it wait with it.
    const early = ask(pace, Array<RequestKind>(9).fill('read'));
    await vi.advanceTimersByTimeAsync(0);
    expect(early.admitted).toHaveLength(9);
    const write = ask(pace, ['content']);
    const reads = ask(pace, ['read', 'read']);
    await vi.advanceTimersByTimeAsync(0);
    expect(write.admitted).toEqual([]);
    expect(reads.admitted).toEqual([]);
    // The window frees the 9 points at once a minute later: the write goes first.
    await vi.advanceTimersByTimeAsync(60_100);
    expect(write.admitted).toEqual([0]);
    expect(reads.admitted).toEqual([0, 1]);
  });
});

describe('CredentialPace, windows as GitHub sees them', () => {
  it('keeps a request in its windows until 60 s after its answer, not its admission', async () => {
    const pace = new CredentialPace({
      now: Date.now,
      limits: { concurrent: 50, pointsPerMinute: 100, contentPerMinute: 1 },
    });
    const first = ask(pace, ['content']);
    await vi.advanceTimersByTimeAsync(0);
    // GitHub counted it when it arrived: some time before this answer, 10 s after admission.
    await vi.advanceTimersByTimeAsync(10_000);
    first.releaseAll();
    const next = ask(pace, ['content']);
    await vi.advanceTimersByTimeAsync(50_100);
    expect(next.admitted).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(next.admitted).toEqual([0]);
  });
});
