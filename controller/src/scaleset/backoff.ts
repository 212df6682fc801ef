export { abortableSleep, type Sleep } from '../shared/abortable-sleep.ts';

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
