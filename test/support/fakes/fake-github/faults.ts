import { githubError } from './github-error.ts';
import type { ApiResponse } from './router.ts';

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  message?: string;
  /** Only requests whose `METHOD /path` matches; all API requests when absent. */
  match?: RegExp;
  /** Never answer (a GitHub that does not respond); the connection stays open until close. */
  hang?: boolean;
}

export interface FailNextOptions extends Fault {
  /** How many matching requests fail; default 1. */
  count?: number;
}

export interface Faults {
  failNext: (options: FailNextOptions) => void;
  /** Every matching API request fails until `clear()`. */
  failAlways: (fault: Fault) => void;
  clear: () => void;
  take: (methodAndPath: string) => ApiResponse | 'hang' | undefined;
}

const defaultMessages: Record<number, string> = {
  403: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  429: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
};

export function createFaults(): Faults {
  let pending: { fault: Fault; left: number }[] = [];
  let always: Fault | undefined;
  const respond = (fault: Fault): ApiResponse | 'hang' =>
    fault.hang
      ? 'hang'
      : githubError(
          fault.status,
          fault.message ?? defaultMessages[fault.status] ?? 'Server Error',
          fault.headers,
        );
  return {
    failNext({ count = 1, ...fault }) {
      pending.push({ fault, left: count });
    },
    failAlways(fault) {
      always = fault;
    },
    clear() {
      pending = [];
      always = undefined;
    },
    take(methodAndPath) {
      const entry = pending.find((p) => p.fault.match?.test(methodAndPath) ?? true);
      if (entry) {
        entry.left -= 1;
        if (entry.left <= 0) pending = pending.filter((p) => p !== entry);
        return respond(entry.fault);
      }
      if (always && (always.match?.test(methodAndPath) ?? true)) return respond(always);
      return undefined;
    },
  };
}
