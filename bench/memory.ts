/** Benchmark 3: retained heap per job in the JobBook (needs node --expose-gc). */
import { JobBook } from '../controller/src/jobs/job-book.ts';
import type { BenchResult } from './result.ts';
import { consume, median } from './stats.ts';

const JOBS = 10_000;
const ROUNDS = 7;
const REPOSITORY = 'lineville/elastic-machines-testing';

function collectGarbage(): void {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run node with --expose-gc (npm run bench does)');
  gc();
  gc();
}

/** Retained heap bytes per item after build() ran, with its result still reachable. */
function retainedPerItem(build: () => unknown): number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const kept = build();
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  consume(kept);
  return (after - before) / JOBS;
}

/** Every job queued, then in_progress on its own runner, then completed, as from webhooks. */
function bookJobs(): JobBook {
  const jobs = new JobBook();
  for (let i = 0; i < JOBS; i += 1) {
    const event = {
      poolId: 'repo',
      repoId: 'repo',
      repository: REPOSITORY,
      jobId: 10_000_000_000 + i,
      runId: 4_000_000_000 + i,
      labels: ['self-hosted', 'linux'],
      at: 1_700_000_000_000 + i,
    };
    jobs.apply({ ...event, action: 'queued', runnerName: undefined });
    jobs.apply({ ...event, action: 'in_progress', runnerName: `runner-${i.toString(36)}` });
    jobs.apply({
      ...event,
      action: 'completed',
      runnerName: `runner-${i.toString(36)}`,
      conclusion: 'success',
    });
  }
  return jobs;
}

function plainMap(): Map<number, { id: number; state: string }> {
  const map = new Map<number, { id: number; state: string }>();
  for (let i = 0; i < JOBS; i += 1)
    map.set(10_000_000_000 + i, { id: 10_000_000_000 + i, state: 'completed' });
  return map;
}

export function benchMemory(): BenchResult {
  const book: number[] = [];
  const map: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    book.push(retainedPerItem(bookJobs));
    map.push(retainedPerItem(plainMap));
  }
  const perJob = median(book);
  const perMap = median(map);
  return {
    title: '3. Memory',
    baseline: `a plain \`Map\` of ${JOBS.toLocaleString('en')} \`{ id, state }\` objects`,
    rows: [
      { measure: 'retained heap per booked job', unit: 'B/job', value: perJob, baseline: perMap },
    ],
    method:
      `Heap used after \`gc()\` before and after booking ${JOBS.toLocaleString('en')} jobs ` +
      `(queued → in_progress with a runner name → completed), result kept reachable; ` +
      `median of ${ROUNDS} rounds, interleaved with the baseline.`,
    shows:
      `A booked job keeps about ${perJob.toFixed(0)} bytes (${perMap.toFixed(0)} for the bare ` +
      `map entry): 10,000 completed jobs retained for the default hour are ` +
      `${((perJob * JOBS) / 1e6).toFixed(1)} MB, negligible.`,
  };
}
