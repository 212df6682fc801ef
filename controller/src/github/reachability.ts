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

/** One Reachability per credential (by name), made on first use: entries sharing one share it. */
export class CredentialReach {
  readonly #reach = new Map<string, Reachability>();

  of(credential: string): Reachability {
    const known = this.#reach.get(credential);
    if (known) return known;
    const made = new Reachability();
    this.#reach.set(credential, made);
    return made;
  }
}
