/** Small statistics and timing helpers shared by the benchmarks. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of an unsorted list; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export const nowNs = (): bigint => process.hrtime.bigint();
export const elapsedMs = (startNs: bigint): number => Number(nowNs() - startNs) / 1e6;

/** Keeps results observable so the optimiser cannot drop the work that produced them. */
export let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}

type Fn = () => unknown;

/** Nanoseconds per call of fn over one batch of `calls` calls (awaiting fn when it is async). */
async function timeBatch(fn: Fn, calls: number): Promise<number> {
  const start = nowNs();
  for (let i = 0; i < calls; i += 1) {
    const result = fn();
    consume(result instanceof Promise ? await result : result);
  }
  return Number(nowNs() - start) / calls;
}

/** Smallest power-of-two batch that takes at least targetMs, capped at maxCalls. */
async function calibrate(fn: Fn, targetMs: number, maxCalls: number): Promise<number> {
  let calls = 1;
  while (calls < maxCalls) {
    const nsPerCall = await timeBatch(fn, calls);
    if ((nsPerCall * calls) / 1e6 >= targetMs) break;
    calls *= 2;
  }
  return Math.min(calls, maxCalls);
}

export type Comparison = {
  subjectNs: number;
  baselineNs: number;
  samples: number;
};

/**
 * Median time per call of subject and baseline. Batches of the two are interleaved so that
 * noise from other processes on the machine hits both alike. Bounded by sample count and time.
 */
export async function comparePerCall(
  subject: Fn,
  baseline: Fn,
  { samples = 31, budgetMs = 6_000, batchMs = 5, maxCalls = 1 << 20 } = {},
): Promise<Comparison> {
  const subjectCalls = await calibrate(subject, batchMs, maxCalls);
  const baselineCalls = await calibrate(baseline, batchMs, maxCalls);
  const subjectNs: number[] = [];
  const baselineNs: number[] = [];
  const start = nowNs();
  while (subjectNs.length < samples && (subjectNs.length < 3 || elapsedMs(start) < budgetMs)) {
    subjectNs.push(await timeBatch(subject, subjectCalls));
    baselineNs.push(await timeBatch(baseline, baselineCalls));
  }
  return {
    subjectNs: median(subjectNs),
    baselineNs: median(baselineNs),
    samples: subjectNs.length,
  };
}
