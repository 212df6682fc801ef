import type { ApiUsageEntry } from './api-usage.ts';
import { isContentGenerating, pointsOf } from './secondary-limits.ts';

export interface UsageCounts {
  requests: number;
  /** Secondary-limit points (GET/HEAD/OPTIONS 1, other methods 5). */
  points: number;
  /** Anything but GET/HEAD/OPTIONS. */
  writes: number;
  /** POST, PATCH, PUT. */
  contentGenerating: number;
}

export interface ApiUsageSummary extends UsageCounts {
  byMethod: Record<string, number>;
  /** Answered 403/429 by the secondary limits. */
  secondaryLimited: number;
  /** The span the rates are over: `to - from`, or first to last request; at least 60 s. */
  spanMs: number;
  /** Counts over the span, per minute. */
  perMinute: UsageCounts;
  /** The most in any 60-s window (of request starts), each count on its own. */
  peak60s: UsageCounts;
  /** The most requests in flight at once. */
  maxConcurrent: number;
}

export interface UsageFilter {
  /** Epoch ms; requests that started before are left out. */
  from?: number;
  /** Epoch ms; requests that started after are left out. */
  to?: number;
  credential?: string;
}

const MINUTE = 60_000;
type Weight = (entry: ApiUsageEntry) => number;
const weights: Record<keyof UsageCounts, Weight> = {
  requests: () => 1,
  points: (entry) => pointsOf(entry.method),
  writes: (entry) => (pointsOf(entry.method) > 1 ? 1 : 0),
  contentGenerating: (entry) => (isContentGenerating(entry.method) ? 1 : 0),
};

const countsOf = (map: (weight: Weight) => number) =>
  Object.fromEntries(
    Object.entries(weights).map(([name, weight]) => [name, map(weight)]),
  ) as unknown as UsageCounts;

/** The largest sum of `weight` over entries (sorted by start) starting within any 60 s. */
function peakOf(sorted: readonly ApiUsageEntry[], weight: Weight): number {
  let peak = 0;
  let sum = 0;
  let first = 0;
  for (const entry of sorted) {
    sum += weight(entry);
    while ((sorted[first]?.start ?? Infinity) <= entry.start - MINUTE) {
      sum -= weight(sorted[first] as ApiUsageEntry);
      first += 1;
    }
    peak = Math.max(peak, sum);
  }
  return peak;
}

/** Most intervals open at once; an entry still in flight stays open. Ends go before starts. */
function maxConcurrentOf(entries: readonly ApiUsageEntry[]): number {
  const events = entries.flatMap((entry) => [
    { at: entry.start, delta: 1 },
    { at: entry.end ?? Infinity, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const event of events) {
    open += event.delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

/** Requests, points, writes and content-generating requests: totals, rates, 60-s peaks. */
export function summarizeApiUsage(
  all: readonly ApiUsageEntry[],
  filter: UsageFilter = {},
): ApiUsageSummary {
  const entries = all
    .filter(
      (entry) =>
        (filter.credential === undefined || entry.credential === filter.credential) &&
        entry.start >= (filter.from ?? -Infinity) &&
        entry.start <= (filter.to ?? Infinity),
    )
    .sort((a, b) => a.start - b.start);
  const totals = countsOf((weight) => entries.reduce((sum, entry) => sum + weight(entry), 0));
  const from = filter.from ?? entries[0]?.start ?? 0;
  const to = filter.to ?? entries.at(-1)?.start ?? from;
  const spanMs = Math.max(MINUTE, to - from);
  const byMethod: Record<string, number> = {};
  for (const entry of entries) byMethod[entry.method] = (byMethod[entry.method] ?? 0) + 1;
  return {
    ...totals,
    byMethod,
    secondaryLimited: entries.filter((entry) => entry.secondaryLimited).length,
    spanMs,
    perMinute: countsOf((weight) => {
      const total = entries.reduce((sum, entry) => sum + weight(entry), 0);
      return (total * MINUTE) / spanMs;
    }),
    peak60s: countsOf((weight) => peakOf(entries, weight)),
    maxConcurrent: maxConcurrentOf(entries),
  };
}

/** summarizeApiUsage for each credential seen. */
export function summarizeApiUsageByCredential(
  all: readonly ApiUsageEntry[],
  filter: Omit<UsageFilter, 'credential'> = {},
): Record<string, ApiUsageSummary> {
  const credentials = [...new Set(all.map((entry) => entry.credential))];
  return Object.fromEntries(
    credentials.map((credential) => [
      credential,
      summarizeApiUsage(all, { ...filter, credential }),
    ]),
  );
}
