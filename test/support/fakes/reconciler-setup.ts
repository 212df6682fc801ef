import { pino, type Logger } from 'pino';
import { vi } from 'vitest';
import type { Config, PoolConfig } from '../../../controller/src/config/load-config.ts';
import type { Registrar } from '../../../controller/src/domain/registrar.ts';
import { JobBook } from '../../../controller/src/jobs/job-book.ts';
import { UnservedJobs } from '../../../controller/src/jobs/unserved-jobs.ts';
import type { JobAction } from '../../../controller/src/jobs/job-event.ts';
import { WaitingJobs } from '../../../controller/src/jobs/waiting-jobs.ts';
import { Reconciler, type ReconcilerDeps } from '../../../controller/src/reconcile/reconciler.ts';
import { testConfig } from '../fixtures/config-fixtures.ts';
import { FakeRegistrar } from './fake-registrar.ts';
import { FakeRuntime, type FakeRuntimeOptions } from './fake-runtime.ts';

export type LogLine = { level: number; msg: string; [key: string]: unknown };

/** Fake timers for Date and the timers the reconciler sets; setImmediate stays real for settle(). */
export function useReconcilerClock(now = 1_000_000): void {
  vi.useFakeTimers({
    now,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
}

/** Lets every promise chain under way finish (fakes answer at once, so a few turns suffice). */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A logger whose lines a test reads back. */
export function recordingLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log: Logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { log, lines };
}

/** Names as the controller makes them (prefix, dash, 10 hex digits), numbered for the test to read. */
export function numberedNames(): (pool: PoolConfig) => string {
  let next = 0;
  return (pool) => `${pool.runnerNamePrefix}-${(next++).toString(16).padStart(10, '0')}`;
}

export type ReconcilerSetupOptions = {
  /** The controller's environment (GITHUB_URL and GITHUB_TOKEN are set unless given). */
  env?: Record<string, string>;
  files?: Record<string, string>;
  engines?: FakeRuntimeOptions['engines'];
  onStart?: FakeRuntimeOptions['onStart'];
  /** The job book and waiting counts, when a job source under test books into them too. */
  jobs?: JobBook;
  waiting?: WaitingJobs;
  /** Registrars of some pools (a scale set's, say); the others get the fake REST registrar. */
  registrars?: ReadonlyMap<string, Registrar>;
  /** What the pools' job sources say of their outages (a scale set's, say). */
  sourceOutage?: ReconcilerDeps['sourceOutage'];
};

/**
 * The real reconciler against a fake runtime and a fake registrar, on the pools a real
 * configuration gives. Jobs are booked as the webhook intake books them.
 */
export function setUpReconciler(options: ReconcilerSetupOptions = {}) {
  const config: Config = testConfig(
    { GITHUB_URL: 'https://github.com/octo/app', GITHUB_TOKEN: 'token', ...options.env },
    options.files,
  );
  const runtime = new FakeRuntime({
    engines: options.engines,
    ...(options.onStart ? { onStart: options.onStart } : {}),
  });
  const registrar = new FakeRegistrar();
  const jobs = options.jobs ?? new JobBook();
  const waiting = options.waiting ?? new WaitingJobs(jobs);
  const { log, lines } = recordingLog();
  const unserved = new UnservedJobs();
  const counts = {
    spawned: 0,
    spawnFailed: 0,
    exitedEarly: 0,
    gaveUp: 0,
    removed: 0,
    dockerErrors: 0,
  };
  const registrars = new Map<string, Registrar>(
    config.pools.map((pool) => [pool.id, options.registrars?.get(pool.id) ?? registrar]),
  );
  const deps: ReconcilerDeps = {
    pools: config.pools,
    maxRunners: config.maxRunners,
    idleTimeoutMs: config.runnerIdleTimeoutSeconds * 1000,
    jobs,
    reportedWaiting: (poolId) => waiting.reported(poolId),
    runtime,
    registrars,
    log,
    now: Date.now,
    runnerName: numberedNames(),
    jobWaitWarnMs: config.jobWaitWarnSeconds * 1000,
    unserved: () => unserved.list(),
    ...(options.sourceOutage ? { sourceOutage: options.sourceOutage } : {}),
    events: {
      spawned: () => (counts.spawned += 1),
      spawnFailed: () => (counts.spawnFailed += 1),
      exitedEarly: () => (counts.exitedEarly += 1),
      gaveUp: () => (counts.gaveUp += 1),
      removed: () => (counts.removed += 1),
      dockerError: () => (counts.dockerErrors += 1),
    },
  };
  const reconciler = new Reconciler(deps);
  // Started (following the engines' events) by the first pass a test asks for, so that a test
  // sets up what an earlier controller left before the reconciler first looks.
  let started = false;
  const poolOf = (poolId?: string): PoolConfig => {
    const pool = poolId === undefined ? config.pools[0] : config.pools.find((p) => p.id === poolId);
    if (!pool) throw new Error(`no pool ${poolId}`);
    return pool;
  };
  const book = (jobId: number, action: JobAction, fields: { pool?: string; runner?: string }) => {
    const pool = poolOf(fields.pool);
    return jobs.apply({
      poolId: pool.id,
      repoId: pool.repoId,
      repository: 'octo/app',
      jobId,
      runId: jobId,
      action,
      labels: pool.runnerLabels,
      runnerName: fields.runner,
      at: Date.now(),
    });
  };

  return {
    config,
    runtime,
    registrar,
    jobs,
    waiting,
    /** Queued jobs no pool serves, as the webhook intake records them. */
    unserved,
    reconciler,
    lines,
    counts,
    poolOf,
    /** A job queued for a pool (the first one unless named); the reconciler is told. */
    queue(jobIds: number | number[], pool?: string): void {
      for (const id of [jobIds].flat()) book(id, 'queued', pool === undefined ? {} : { pool });
      reconciler.trigger();
    },
    /** A runner took the job (its in_progress event). */
    take(jobId: number, runner: string, pool?: string): void {
      book(jobId, 'in_progress', { runner, ...(pool === undefined ? {} : { pool }) });
      reconciler.trigger();
    },
    /** The job ended (completed, with the runner that ran it, if any). */
    complete(jobId: number, runner?: string, pool?: string): void {
      book(jobId, 'completed', {
        ...(runner === undefined ? {} : { runner }),
        ...(pool === undefined ? {} : { pool }),
      });
      reconciler.trigger();
    },
    /** A pass now, and everything it set under way finished. */
    async pass(): Promise<void> {
      if (started) reconciler.trigger();
      else reconciler.start();
      started = true;
      await settle();
    },
    /** Time passes (the reconciler's own timers fire), then everything settles. */
    async advance(ms: number): Promise<void> {
      await vi.advanceTimersByTimeAsync(ms);
      await settle();
    },
    logged: (msg: string) => lines.filter((line) => line.msg === msg),
    async stop(): Promise<void> {
      await reconciler.stop();
    },
  };
}

export type ReconcilerSetup = ReturnType<typeof setUpReconciler>;
