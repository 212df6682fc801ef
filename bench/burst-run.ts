/**
 * Bursts of queued jobs through the real controller process, the fake GitHub and the runner stub
 * on the real engine: the measurements behind benchmarks 7 (burst drain) and 9 (API cost). One
 * run serves both (memoized), so `npm run bench` pays for it once; each benchmark alone runs it.
 */
import { execFileSync } from 'node:child_process';
import { noLeftovers } from '../test/support/harness/docker-cleanup.ts';
import type { RequestLogEntry } from '../test/support/fakes/fake-github/index.ts';
import { createHarness, type Harness } from '../test/support/harness/harness.ts';
import { waitUntil } from '../test/support/harness/wait-until.ts';
import { CONTROLLER_LABEL, startDirectly, watchStarts, type Starts } from './engine-start.ts';
import { watchRunners, type Census } from './runner-census.ts';
import { median } from './stats.ts';

export const CAP = 10;
export const JOB_MS = 2_000;
export const LARGE_BURST = 100;
export const WITHIN_ROUNDS = 3;
/** The controller's default (RESYNC_INTERVAL_SECONDS), left as it is. */
export const RESYNC_SECONDS = 60;
const DIRECT_ROUNDS = 7;
const ROOT = new URL('..', import.meta.url).pathname;
const STUB_COMPLETE = /^\/_stub\/runners\/[^/]+\/complete$/;

export type BurstFigures = {
  jobs: number;
  /** From the first delivery sent to the last job completed (the runner's complete call). */
  drainMs: number;
  /** Jobs that completed successfully. */
  completed: number;
  /** Distinct runners that took the burst's jobs. */
  runnersServing: number;
  /** Runner containers the controller created, and the most that existed at once. */
  created: number;
  maxAtOnce: number;
  /** The controller's GitHub requests (not the stub's) from the first delivery to a quiet engine. */
  requests: RequestLogEntry[];
  windowMs: number;
};

export type BurstRun = {
  /** The engine's own create+start of the stub image, median. */
  engineStartMs: number;
  /** The engine's own create+start of a whole wave (CAP containers at once), median. */
  engineWaveMs: number;
  within: BurstFigures[];
  large: BurstFigures;
  /** Secondary-limit answers of the fake, which enforces GitHub's documented limits. */
  secondaryLimitAnswers: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function burst(h: Harness, census: Census, jobs: number): Promise<BurstFigures> {
  await noLeftovers(h.controllerId, 60_000);
  census.reset();
  const before = h.fake.requests().length;
  const sentAt = Date.now();
  const queued = await Promise.all(
    Array.from({ length: jobs }, () =>
      h.fake.queueJob({ labels: ['self-hosted'], durationMs: JOB_MS }),
    ),
  );
  const done = () => queued.every((job) => h.fake.job(job.id)?.status === 'completed');
  await waitUntil(done, 300_000, `${jobs} jobs completed`);
  await noLeftovers(h.controllerId, 60_000);
  const quietAt = Date.now();
  const log = h.fake.requests().slice(before);
  const completions = log.filter((r) => STUB_COMPLETE.test(r.path) && r.status === 200);
  const lastCompleted = Math.max(...completions.map((r) => r.at));
  const finished = queued.map((job) => h.fake.job(job.id));
  const { created, maxAtOnce } = census.read();
  return {
    jobs,
    drainMs: lastCompleted - sentAt,
    completed: finished.filter((job) => job?.conclusion === 'success').length,
    runnersServing: new Set(finished.map((job) => job?.runnerName).filter(Boolean)).size,
    created,
    maxAtOnce,
    requests: log.filter((r) => !r.path.startsWith('/_stub/')),
    windowMs: quietAt - sentAt,
  };
}

/** CAP containers created and started at once, directly: until the last one started (ms). */
async function directWave(starts: Starts, controllerId: string): Promise<number> {
  const times = await Promise.all(
    Array.from({ length: CAP }, () => startDirectly(starts, controllerId)),
  );
  await noLeftovers(controllerId, 20_000);
  return Math.max(...times);
}

async function directStarts(starts: Starts, controllerId: string, rounds: number) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) times.push(await startDirectly(starts, controllerId));
  await noLeftovers(controllerId, 20_000);
  return times;
}

async function measureBursts(log: (line: string) => void): Promise<BurstRun> {
  execFileSync('bash', ['test/support/images/build-images.sh'], { cwd: ROOT, stdio: 'ignore' });
  // The fake answers as GitHub does beyond its secondary limits: none may be met.
  const h = await createHarness({ secondaryLimits: true });
  const starts = await watchStarts(`${CONTROLLER_LABEL}=${h.controllerId}`);
  const census = await watchRunners(h.controllerId);
  try {
    await h.start({ LOG_LEVEL: 'info', MAX_RUNNERS: String(CAP) });
    // The start's own requests (hook check, first resync) are not the bursts'.
    await sleep(3_000);
    const direct = await directStarts(starts, h.controllerId, 2);
    const within: BurstFigures[] = [];
    for (let round = 0; round < WITHIN_ROUNDS; round += 1) {
      within.push(await burst(h, census, CAP));
      log(`  burst of ${CAP}: ${(within.at(-1)?.drainMs ?? 0).toFixed(0)} ms`);
      direct.push(...(await directStarts(starts, h.controllerId, 1)));
    }
    const large = await burst(h, census, LARGE_BURST);
    log(`  burst of ${LARGE_BURST}: ${large.drainMs.toFixed(0)} ms`);
    direct.push(...(await directStarts(starts, h.controllerId, DIRECT_ROUNDS - WITHIN_ROUNDS - 2)));
    const waves: number[] = [];
    for (let round = 0; round < WITHIN_ROUNDS; round += 1) {
      waves.push(await directWave(starts, h.controllerId));
    }
    return {
      engineStartMs: median(direct),
      engineWaveMs: median(waves),
      within,
      large,
      secondaryLimitAnswers: h.fake.secondaryLimitAnswers().count,
    };
  } finally {
    census.stop();
    starts.stop();
    await h.cleanup();
  }
}

let run: Promise<BurstRun> | undefined;

/** The bursts, measured once per process. */
export function burstRun(log: (line: string) => void = () => undefined): Promise<BurstRun> {
  run ??= measureBursts(log);
  return run;
}
