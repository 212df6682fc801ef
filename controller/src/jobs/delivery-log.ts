/** Remembers recent X-GitHub-Delivery ids, bounded, oldest forgotten first. */
export class DeliveryLog {
  readonly #seen = new Set<string>();
  /** The remembered ids in arrival order, as a ring: `#next` is the oldest once it is full. */
  readonly #order: string[] = [];
  #next = 0;

  constructor(readonly capacity = 10_000) {}

  /** True when the id is new (and records it); false for a repeat. */
  record(deliveryId: string): boolean {
    if (this.#seen.has(deliveryId)) return false;
    this.#seen.add(deliveryId);
    if (this.#order.length < this.capacity) {
      this.#order.push(deliveryId);
      return true;
    }
    const oldest = this.#order[this.#next];
    if (oldest !== undefined) this.#seen.delete(oldest);
    this.#order[this.#next] = deliveryId;
    this.#next = (this.#next + 1) % this.capacity;
    return true;
  }
}
