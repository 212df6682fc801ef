import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less when the signal aborts; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const abortableSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted: the caller checks its own stop flag.
  }
};

export type BackoffOptions = { initialMs?: number; maxMs?: number; random?: () => number };

/**
 * The wait before retry number `failures` (1, 2, ...): doubling from `initialMs` up to `maxMs`,
 * with up to 20 % taken off at random so that many listeners failing together spread out.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1_000;
  const max = options.maxMs ?? 60_000;
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 - 0.2 * random()));
}
