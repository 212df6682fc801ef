import { matchesLabels } from './match-labels.ts';

type Routable = { id: string; runnerLabels: readonly string[] };

/**
 * The pool a job goes to: of the pools whose labels cover all of the job's labels, the most
 * specific one (the fewest labels beyond the job's); ties go to the first declared. Undefined:
 * no pool serves the job.
 */
export function routeJob<P extends Routable>(
  jobLabels: readonly string[],
  pools: readonly P[],
): P | undefined {
  let best: P | undefined;
  for (const pool of pools) {
    if (!matchesLabels(jobLabels, pool.runnerLabels)) continue;
    if (!best || distinct(pool.runnerLabels) < distinct(best.runnerLabels)) best = pool;
  }
  return best;
}

function distinct(labels: readonly string[]): number {
  return new Set(labels.map((label) => label.toLowerCase())).size;
}
