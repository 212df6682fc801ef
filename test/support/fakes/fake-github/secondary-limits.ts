import { randomUUID } from 'node:crypto';
import type { Principal } from './app-auth.ts';
import type { ApiResponse } from './router.ts';

/**
 * GitHub's documented secondary rate limits (docs.github.com, "About secondary rate limits"),
 * per credential: 100 concurrent requests, 900 points a minute (a GET/HEAD/OPTIONS costs 1, a
 * POST/PATCH/PUT/DELETE 5), 80 content-generating requests a minute and 500 an hour.
 */
export interface SecondaryLimitFigures {
  concurrent: number;
  pointsPerMinute: number;
  contentPerMinute: number;
  contentPerHour: number;
  /** The least a credential waits once it exceeded a limit; default 60 s. */
  retryAfterSeconds: number;
  /** GitHub documents 403 or 429; default 403. */
  status: 403 | 429;
}

/** `true`: GitHub's figures; an object: GitHub's figures with these replaced; off when absent. */
export type SecondaryLimitsOption = boolean | Partial<SecondaryLimitFigures>;

export const GITHUB_SECONDARY_LIMITS: SecondaryLimitFigures = {
  concurrent: 100,
  pointsPerMinute: 900,
  contentPerMinute: 80,
  contentPerHour: 500,
  retryAfterSeconds: 60,
  status: 403,
};

/**
 * Why a request was refused: a limit it exceeded, `forced` (forceSecondaryLimit), or the
 * same credential's penalty from an earlier refusal still running (`retry-after`).
 */
export type SecondaryLimitReason =
  'concurrent' | 'points' | 'content-minute' | 'content-hour' | 'forced' | 'retry-after';

export interface SecondaryLimitAnswer {
  credential: string;
  method: string;
  path: string;
  /** The route's template, e.g. `/repos/{owner}/{repo}/actions/runners`. */
  route: string;
  reason: SecondaryLimitReason;
  /** Epoch milliseconds. */
  at: number;
  retryAfterSeconds: number;
}

export interface SecondaryLimitAnswers {
  count: number;
  answers: readonly SecondaryLimitAnswer[];
  /** Answers per credential. */
  byCredential: Record<string, number>;
  /** Answers per `METHOD template`. */
  byRoute: Record<string, number>;
}

export interface LimitedRequest {
  credential: string;
  method: string;
  path: string;
  route: string;
}

export type Admission =
  { admitted: true; release: () => void } | { admitted: false; response: ApiResponse };

export interface SecondaryLimits {
  /** Counts a request against its credential's limits (in flight until `release`) or refuses it. */
  admit: (request: LimitedRequest) => Admission;
  /** The credential's next requests are refused for that long (also when the mode is off). */
  force: (credential: string, retryAfterSeconds: number) => void;
  answers: () => SecondaryLimitAnswers;
}

/**
 * How the fake names a credential: a token as itself, an App installation (all its tokens) as
 * `installation:<id>`, an App JWT as `app:<id>`, no token as `anonymous`.
 */
export function credentialOf(principal: Principal | undefined): string {
  if (principal === undefined) return 'anonymous';
  if (principal.kind === 'token') return principal.token;
  if (principal.kind === 'installation') return `installation:${principal.grant.installationId}`;
  return `app:${principal.app.id}`;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CONTENT = new Set(['POST', 'PATCH', 'PUT']);
/** Secondary-limit points of a REST request. */
export const pointsOf = (method: string): number => (READS.has(method.toUpperCase()) ? 1 : 5);
/** Content-generating, as this fake counts it: POST, PATCH, PUT (not DELETE). */
export const isContentGenerating = (method: string): boolean => CONTENT.has(method.toUpperCase());

export const SECONDARY_LIMIT_DOCS =
  'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';

function refusal(status: number, reason: SecondaryLimitReason, retryAfter: number): ApiResponse {
  const requestId = randomUUID().toUpperCase();
  const support = `If you reach out to GitHub Support for help, please include the request ID ${requestId}.`;
  const content = reason === 'content-minute' || reason === 'content-hour';
  const message = content
    ? `You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later. ${support}`
    : `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ${support}`;
  return {
    status,
    body: { message, documentation_url: SECONDARY_LIMIT_DOCS },
    headers: { 'retry-after': String(retryAfter), 'x-github-request-id': requestId },
  };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

interface Ledger {
  inFlight: number;
  /** Admitted requests of the last minute: start and points, oldest first. */
  points: { at: number; points: number }[];
  /** Start of admitted content-generating requests of the last hour, oldest first. */
  content: number[];
  penaltyUntil: number;
  penaltyReason: SecondaryLimitReason;
}

/** When the window next admits a request needing `excess` more room; entries oldest first. */
function roomAt(entries: readonly { at: number; weight: number }[], excess: number, span: number) {
  let freed = 0;
  for (const entry of entries) {
    freed += entry.weight;
    if (freed >= excess) return entry.at + span;
  }
  return 0;
}

/**
 * Sliding windows: a request is admitted when the points (content-generating requests) its
 * credential was admitted in the 60 s (3,600 s) before it, plus its own, stay within the limit,
 * and fewer than `concurrent` of its requests are in flight. Refused requests count toward
 * nothing. A refusal starts a penalty of `retryAfterSeconds`, or longer when the window only
 * has room for that request later (so a client that waits `retry-after` is admitted); every
 * request of the credential during the penalty is refused with the time left.
 */
export function createSecondaryLimits(
  option: SecondaryLimitsOption | undefined,
  now: () => number = Date.now,
): SecondaryLimits {
  const figures =
    option === undefined || option === false
      ? undefined
      : { ...GITHUB_SECONDARY_LIMITS, ...(option === true ? {} : option) };
  const status = figures?.status ?? GITHUB_SECONDARY_LIMITS.status;
  const ledgers = new Map<string, Ledger>();
  const answers: SecondaryLimitAnswer[] = [];
  const ledgerOf = (credential: string): Ledger => {
    let ledger = ledgers.get(credential);
    if (!ledger) {
      ledger = { inFlight: 0, points: [], content: [], penaltyUntil: 0, penaltyReason: 'forced' };
      ledgers.set(credential, ledger);
    }
    return ledger;
  };
  const refuse = (request: LimitedRequest, reason: SecondaryLimitReason, until: number) => {
    const at = now();
    const retryAfterSeconds = Math.max(1, Math.ceil((until - at) / 1000));
    answers.push({ ...request, reason, at, retryAfterSeconds });
    return { admitted: false as const, response: refusal(status, reason, retryAfterSeconds) };
  };

  /** The limit this request would exceed and when it would fit, or undefined. */
  const exceeded = (ledger: Ledger, method: string, limits: SecondaryLimitFigures, at: number) => {
    if (ledger.inFlight >= limits.concurrent) return { reason: 'concurrent' as const, fitsAt: 0 };
    const cost = pointsOf(method);
    const used = ledger.points.reduce((sum, entry) => sum + entry.points, 0);
    if (used + cost > limits.pointsPerMinute) {
      const entries = ledger.points.map((entry) => ({ at: entry.at, weight: entry.points }));
      const fitsAt = roomAt(entries, used + cost - limits.pointsPerMinute, MINUTE);
      return { reason: 'points' as const, fitsAt };
    }
    if (!isContentGenerating(method)) return undefined;
    const lastMinute = ledger.content.filter((start) => start > at - MINUTE);
    if (lastMinute.length + 1 > limits.contentPerMinute) {
      const entries = lastMinute.map((start) => ({ at: start, weight: 1 }));
      const fitsAt = roomAt(entries, lastMinute.length + 1 - limits.contentPerMinute, MINUTE);
      return { reason: 'content-minute' as const, fitsAt };
    }
    if (ledger.content.length + 1 > limits.contentPerHour) {
      const entries = ledger.content.map((start) => ({ at: start, weight: 1 }));
      const fitsAt = roomAt(entries, ledger.content.length + 1 - limits.contentPerHour, HOUR);
      return { reason: 'content-hour' as const, fitsAt };
    }
    return undefined;
  };

  return {
    admit(request) {
      const at = now();
      const ledger = ledgerOf(request.credential);
      if (at < ledger.penaltyUntil) {
        const reason = ledger.penaltyReason === 'forced' ? 'forced' : 'retry-after';
        return refuse(request, reason, ledger.penaltyUntil);
      }
      if (!figures) return { admitted: true, release: () => undefined };
      while (ledger.points[0] !== undefined && ledger.points[0].at <= at - MINUTE)
        ledger.points.shift();
      while (ledger.content[0] !== undefined && ledger.content[0] <= at - HOUR)
        ledger.content.shift();
      const over = exceeded(ledger, request.method, figures, at);
      if (over) {
        ledger.penaltyUntil = Math.max(at + figures.retryAfterSeconds * 1000, over.fitsAt);
        ledger.penaltyReason = over.reason;
        return refuse(request, over.reason, ledger.penaltyUntil);
      }
      ledger.points.push({ at, points: pointsOf(request.method) });
      if (isContentGenerating(request.method)) ledger.content.push(at);
      ledger.inFlight += 1;
      let released = false;
      return {
        admitted: true,
        release() {
          if (released) return;
          released = true;
          ledger.inFlight -= 1;
        },
      };
    },
    force(credential, retryAfterSeconds) {
      const ledger = ledgerOf(credential);
      ledger.penaltyUntil = now() + retryAfterSeconds * 1000;
      ledger.penaltyReason = 'forced';
    },
    answers() {
      const byCredential: Record<string, number> = {};
      const byRoute: Record<string, number> = {};
      for (const answer of answers) {
        byCredential[answer.credential] = (byCredential[answer.credential] ?? 0) + 1;
        const route = `${answer.method} ${answer.route}`;
        byRoute[route] = (byRoute[route] ?? 0) + 1;
      }
      return { count: answers.length, answers: [...answers], byCredential, byRoute };
    },
  };
}
