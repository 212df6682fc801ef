/** Remembers recent X-GitHub-Delivery ids, bounded, oldest forgotten first. */
export class DeliveryLog {
  readonly #seen = new Set<string>();

  constructor(readonly capacity = 10_000) {}

  /** True when the id is new (and records it); false for a repeat. */
  record(deliveryId: string): boolean {
    if (this.#seen.has(deliveryId)) return false;
    this.#seen.add(deliveryId);
    if (this.#seen.size > this.capacity) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    return true;
  }
}
