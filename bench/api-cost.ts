/**
 * Benchmark 9: what the bursts of benchmark 7 cost at GitHub (the fake's request log): requests
 * per served job at the default resync interval, and the peak writes and secondary-limit points
 * over any minute, against GitHub's documented limits. Needs a Docker engine and the test images.
 */
import type { RequestLogEntry } from '../test/support/fakes/fake-github/index.ts';
import { burstRun, LARGE_BURST, RESYNC_SECONDS, type BurstRun } from './burst-run.ts';
import { WRITES_PER_MINUTE } from './burst.ts';
import type { BenchResult } from './result.ts';

/** The target: no more than 2 GitHub requests per served job. */
export const REQUESTS_PER_JOB = 2;
/** GitHub's secondary limit: 900 points a minute per credential; a GET costs 1, a write 5. */
export const POINTS_PER_MINUTE = 900;

const isWrite = (r: RequestLogEntry) => r.method !== 'GET' && r.method !== 'HEAD';
const points = (r: RequestLogEntry) => (isWrite(r) ? 5 : 1);

/** The greatest sum of `weight` over the requests of any 60-second window. */
export function peakPerMinute(
  requests: readonly RequestLogEntry[],
  weight: (r: RequestLogEntry) => number,
): number {
  const sorted = [...requests].sort((a, b) => a.at - b.at);
  let peak = 0;
  let sum = 0;
  let first = 0;
  for (const request of sorted) {
    sum += weight(request);
    while ((sorted[first]?.at ?? Infinity) <= request.at - 60_000) {
      sum -= weight(sorted[first] as RequestLogEntry);
      first += 1;
    }
    peak = Math.max(peak, sum);
  }
  return peak;
}

/** `12 \`GET /repos/{o}/{r}/actions/runs\`, …`: requests by route, most first. */
export function routeCounts(requests: readonly RequestLogEntry[], top = Infinity): string {
  const byRoute = new Map<string, number>();
  for (const r of requests) {
    const path = r.path
      .replace(/^\/repos\/[^/]+\/[^/]+/, '/repos/{o}/{r}')
      .replace(/^\/orgs\/[^/]+/, '/orgs/{org}')
      .replace(/\/\d+(?=\/|$)/g, '/{id}');
    const route = `${r.method} ${path}`;
    byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
  }
  return [...byRoute]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([route, count]) => `${count} \`${route}\``)
    .join(', ');
}

export function apiCostResult(run: BurstRun): BenchResult {
  const large = run.large;
  const perJob = large.requests.length / large.completed;
  const withinRequests = run.within.reduce((sum, b) => sum + b.requests.length, 0);
  const withinJobs = run.within.reduce((sum, b) => sum + b.completed, 0);
  const writes = peakPerMinute(large.requests, (r) => (isWrite(r) ? 1 : 0));
  const peakPoints = peakPerMinute(large.requests, points);
  const routes = routeCounts(large.requests);
  return {
    title: '9. API cost',
    baseline:
      `the targets: ${REQUESTS_PER_JOB} requests per served job; GitHub's documented secondary ` +
      `limits per credential, ${WRITES_PER_MINUTE} content-creating requests and ` +
      `${POINTS_PER_MINUTE} points (GET 1, write 5) a minute`,
    rows: [
      {
        measure: `GitHub requests per served job, burst of ${LARGE_BURST}`,
        unit: 'req/job',
        value: perJob,
        baseline: REQUESTS_PER_JOB,
      },
      {
        measure: 'GitHub requests per served job, bursts within capacity',
        unit: 'req/job',
        value: withinRequests / withinJobs,
        baseline: REQUESTS_PER_JOB,
      },
      {
        measure: 'writes in the busiest minute, per credential',
        unit: 'writes/min',
        value: writes,
        baseline: WRITES_PER_MINUTE,
      },
      {
        measure: 'secondary-limit points in the busiest minute, per credential',
        unit: 'points/min',
        value: peakPoints,
        baseline: POINTS_PER_MINUTE,
      },
    ],
    shows:
      `Serving ${large.completed} jobs cost ${large.requests.length} GitHub requests ` +
      `(${perJob.toFixed(2)} per job): ${routes}. The busiest minute held ${writes} writes ` +
      `(${(writes / WRITES_PER_MINUTE).toFixed(2)}× GitHub's ${WRITES_PER_MINUTE} a minute) and ` +
      `${peakPoints} points (${(peakPoints / POINTS_PER_MINUTE).toFixed(2)}× ${POINTS_PER_MINUTE}).`,
    method:
      `The controller's requests at the fake GitHub (every API route; the stub's own protocol ` +
      `excluded) from the first delivery of benchmark 7's bursts until the engine was quiet ` +
      `again (${(large.windowMs / 1000).toFixed(0)} s for the burst of ${LARGE_BURST}), ` +
      `resync at its default ${RESYNC_SECONDS} s; one token, so per credential is all of them; ` +
      `minutes are sliding 60-s windows over the requests' times.`,
  };
}

export async function benchApiCost(
  log: (line: string) => void = () => undefined,
): Promise<BenchResult> {
  return apiCostResult(await burstRun(log));
}
