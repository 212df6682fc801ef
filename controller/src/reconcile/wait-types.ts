import type { Placement } from '../domain/placement.ts';
import type { SourceOutage } from '../domain/source-outage.ts';
import type { UnservedJob } from '../jobs/unserved-jobs.ts';
import type { EngineStatus } from '../runners/runtime.ts';
import type { ObservedRunner } from './plan.ts';
import type { PoolFailure } from './pool-health.ts';

/** Why a job waits, one word each: the `reason` of /health and of the metrics (a bounded set). */
export const WAIT_REASONS = [
  'source-down',
  'no-engine-fits',
  'runner-started',
  'engine-down',
  'registration-failed',
  'image-pull-failed',
  'start-failed',
  'runner-failed',
  'pool-cap',
  'global-cap',
  'no-engine-room',
  'pending',
  'no-pool',
] as const;
export type WaitReasonName = (typeof WAIT_REASONS)[number];

type EngineFacts = Pick<EngineStatus, 'id' | 'platforms' | 'labels' | 'runtimes'>;

/** A reason with the facts its sentence (waitDetail) is made of. */
export type WaitReason =
  | { reason: 'source-down'; outage: SourceOutage }
  | { reason: 'no-engine-fits'; needs: Placement; engines: EngineFacts[] }
  | {
      reason: 'runner-started';
      /** Undefined: decided in this pass, its name not given yet. */
      runner: string | undefined;
      engine: string;
      phase: 'starting' | 'idle';
      since: number;
    }
  | {
      reason: 'engine-down';
      engines: { id: string; since: number | undefined; error: string | undefined }[];
      /** The pool's runners on those engines: they count against its cap until they answer. */
      runnersThere: number;
    }
  | { reason: 'registration-failed'; status: number | undefined; error: string; retryAt: number }
  | { reason: 'image-pull-failed'; error: string; retryAt: number }
  | { reason: 'start-failed'; error: string; retryAt: number }
  | {
      reason: 'runner-failed';
      runner: string;
      exitCode: number | undefined;
      outdated: boolean;
      retryAt: number;
    }
  | { reason: 'pool-cap'; max: number; phases: Partial<Record<ObservedRunner['phase'], number>> }
  | { reason: 'global-cap'; max: number; inUse: number }
  | { reason: 'no-engine-room'; engines: { id: string; used: number; capacity: number }[] }
  /** `counted`: the pool's source counts fewer waiting jobs than are booked; this one is past them. */
  | { reason: 'pending'; counted: number | undefined }
  | { reason: 'no-pool'; labels: string[]; pools: { id: string; labels: string[] }[] };

/** A waiting job and why it waits; `poolId` undefined: no pool serves its labels. */
export type JobWait = {
  repoId: string;
  poolId: string | undefined;
  jobId: number;
  repository: string;
  queuedAt: number;
  why: WaitReason;
};

/**
 * How many jobs wait in a pool (or, `poolId` '', in no pool of an entry) for one reason; per
 * pool they add up to its waiting count. `oldestQueuedAt` is undefined when none of them is
 * booked (a scale set's statistics may count jobs whose messages never came).
 */
export type WaitCount = {
  repoId: string;
  poolId: string;
  reason: WaitReasonName;
  jobs: number;
  oldestQueuedAt: number | undefined;
};

export type WaitReport = { jobs: JobWait[]; counts: WaitCount[] };

export const NO_WAITS: WaitReport = { jobs: [], counts: [] };

export type WaitingJob = { id: number; repository: string; queuedAt: number };

export type PoolWaitFacts = Placement & {
  id: string;
  repoId: string;
  maxRunners: number;
  /** Its booked waiting jobs (not given up), oldest first. */
  waiting: readonly WaitingJob[];
  /** How many jobs wait, as the planner counts them (a scale set's statistics, say). */
  count: number;
  /** No engine can run it (RefusedPools). */
  refused: boolean;
  blockedUntil: number;
  lastFailure: PoolFailure | undefined;
  /** Its job source hears of no job now. */
  outage: SourceOutage | undefined;
};

export type WaitFacts = {
  now: number;
  maxRunners: number;
  pools: readonly PoolWaitFacts[];
  /** Every runner as this pass observed it. */
  runners: readonly (ObservedRunner & { jobId: number | undefined })[];
  /** Every engine, up or not. */
  engines: readonly Pick<
    EngineStatus,
    'id' | 'up' | 'capacity' | 'platforms' | 'labels' | 'runtimes' | 'downSince' | 'error'
  >[];
  /** The runners this pass's plan starts. */
  spawns: readonly { poolId: string; engineId: string }[];
  unserved: readonly UnservedJob[];
};
