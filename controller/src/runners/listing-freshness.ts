import type { RuntimeEvent } from './runtime.ts';

/** How long an engine's listing stands for it while its event stream reports no change. */
export const FRESH_LISTING_MS = 5_000;
/** An engine may report a change before its listing shows it: a listing this soon after does not stand. */
export const EVENT_SETTLE_MS = 400;

/**
 * Whether an engine's last listing still shows what it has, so that a pass (a delivery's, say)
 * need not ask the engine again. It does while the engine's event stream is connected and has
 * reported nothing since that listing began (nor shortly before), this controller has finished
 * no start or removal there since, and the listing is younger than `maxAgeMs` (an engine that
 * hangs with its stream open is still found out by a listing that long after).
 */
export class ListingFreshness {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #watching = false;
  #changed = true;
  #listedAt = -Infinity;
  #eventAt = -Infinity;

  constructor(now: () => number, maxAgeMs = FRESH_LISTING_MS) {
    this.#now = now;
    this.#maxAgeMs = maxAgeMs;
  }

  /** A listing begins: what changes from now on is not in it. */
  listing(): void {
    this.#listedAt = this.#now();
    this.#changed = this.#listedAt - this.#eventAt < EVENT_SETTLE_MS;
  }

  /** Its listing failed, or this controller started or removed something there. */
  changed(): void {
    this.#changed = true;
  }

  /** An event of the engine's stream: a change, or the stream was lost (or connected). */
  event(event: RuntimeEvent): void {
    this.#watching = event.kind === 'changed';
    this.#changed = true;
    this.#eventAt = this.#now();
  }

  /** Its events are no longer followed. */
  unwatched(): void {
    this.#watching = false;
  }

  /** When its last listing stops standing for it, whatever happens meanwhile. */
  expiresAt(): number {
    return this.#listedAt + this.#maxAgeMs;
  }

  /** Its last listing can be used again. */
  fresh(): boolean {
    return this.#watching && !this.#changed && this.#now() - this.#listedAt < this.#maxAgeMs;
  }
}
