import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS_PER_JOB,
  PoolHealthBook,
} from '../../controller/src/reconcile/pool-health.ts';

describe('PoolHealthBook', () => {
  it('backs off exponentially over start failures and early exits, up to a minute', () => {
    const book = new PoolHealthBook(['a']);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map(() =>
      book.startFailed('a', { stage: 'start', error: 'boom', at: 0 }),
    );
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    book.startSucceeded('a');
    expect(book.exitedEarly('a', 1, 1, 0).delayMs).toBe(1_000);
  });

  it('gives a job up after its runners keep exiting early, and a taken job clears the trouble', () => {
    const book = new PoolHealthBook(['a']);
    const verdicts = Array.from({ length: MAX_ATTEMPTS_PER_JOB }, () =>
      book.exitedEarly('a', 42, 1, 0),
    );
    expect(verdicts.map((v) => v.giveUp)).toEqual([false, false, false, false, true]);
    expect(book.get('a')?.givenUpJobs).toBe(1);
    book.tookJob('a');
    expect(book.get('a')).toMatchObject({ earlyExits: 0, lastError: undefined, blockedUntil: 0 });
  });

  it('pauses a pool whose runner is outdated (exit code 7) and reports it once', () => {
    const book = new PoolHealthBook(['a']);
    const first = book.exitedEarly('a', 1, 7, 1_000);
    expect(first).toMatchObject({ outdated: true, giveUp: false });
    expect(book.get('a')?.blockedUntil).toBe(1_000 + 600_000);
    expect(book.exitedEarly('a', 1, 7, 2_000).outdated).toBe(false);
  });

  it('keeps the last failure with its stage until a runner starts or takes a job', () => {
    const book = new PoolHealthBook(['a']);
    book.startFailed('a', { stage: 'registration', error: 'no', status: 401, at: 5 });
    expect(book.get('a')?.lastFailure).toEqual({
      stage: 'registration',
      error: 'no',
      status: 401,
      at: 5,
    });
    book.startSucceeded('a');
    expect(book.get('a')?.lastFailure).toBeUndefined();
    book.exitedEarly('a', 1, 3, 9, 'runner-1');
    expect(book.get('a')?.lastFailure).toEqual({
      stage: 'early-exit',
      runner: 'runner-1',
      exitCode: 3,
      outdated: false,
      at: 9,
    });
    book.tookJob('a');
    expect(book.get('a')?.lastFailure).toBeUndefined();
  });
});
