/**
 * Runs a pass whenever asked, never two at once: a request during a pass causes exactly one
 * more pass after it. Also wakes itself at a requested time (the earliest of several) and
 * shortly after the latest of a burst of events.
 */
export class PassLoop {
  readonly #pass: () => Promise<void>;
  readonly #now: () => number;
  #dirty = false;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wakeTimer: NodeJS.Timeout | undefined;
  #wakeAt = Infinity;
  #followUp: NodeJS.Timeout | undefined;

  /** `pass` must not throw; it handles its own failures (and may ask to wake later). */
  constructor(pass: () => Promise<void>, now: () => number) {
    this.#pass = pass;
    this.#now = now;
  }

  trigger(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** A pass now and another `laterMs` after the latest call. */
  triggerTwice(laterMs: number): void {
    this.trigger();
    if (this.#stopped) return;
    if (this.#followUp) clearTimeout(this.#followUp);
    this.#followUp = setTimeout(() => {
      this.#followUp = undefined;
      this.trigger();
    }, laterMs);
    this.#followUp.unref();
  }

  /** A pass in `ms`, unless one is already due sooner. */
  wakeIn(ms: number): void {
    if (this.#stopped) return;
    const at = this.#now() + ms;
    if (this.#wakeTimer && this.#wakeAt <= at) return;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#wakeAt = Infinity;
      this.trigger();
    }, ms);
    this.#wakeTimer.unref();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** No more passes; resolves once the one under way has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    if (this.#followUp) clearTimeout(this.#followUp);
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false;
      await this.#pass();
    }
  }
}
