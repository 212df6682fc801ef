import type { Attempt } from './create-octokit.ts';

/**
 * Whether GitHub answers, judged by every HTTP attempt (retries included): a network error or a
 * 5xx marks it unreachable at once, any other answer marks it reachable again.
 */
export class Reachability {
  #reachable = true;
  #lastError: string | undefined;

  record(attempt: Attempt): void {
    this.#reachable = attempt.error === undefined;
    this.#lastError = attempt.error;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }
}
