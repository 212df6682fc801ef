/**
 * Whether GitHub answers, judged by every HTTP attempt (retries included): a network error or a
 * 5xx marks it unreachable at once, any other answer marks it reachable again.
 */
export class Reachability {
  #reachable = true;
  #lastError: string | undefined;

  record(ok: boolean, detail: string): void {
    this.#reachable = ok;
    this.#lastError = ok ? undefined : detail;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }
}
