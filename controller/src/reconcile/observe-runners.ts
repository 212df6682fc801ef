import type { Job } from '../jobs/job-book.ts';
import type { RunnerContainer } from '../runners/runtime.ts';
import type { ObservedRunner } from './plan.ts';

export type InFlight = {
  poolId: string;
  engineId: string;
  since: number;
  jobId: number | undefined;
  doneAtListing?: number;
};

export type RunnerView = ObservedRunner & {
  jobId: number | undefined;
  exitCode: number | undefined;
  /** Empty for leftovers (a sidecar or volume without its runner) and spawns in flight. */
  containerId: string;
  /** Why a container that still exists counts as exited, when it has not exited itself. */
  stranded?: 'sidecar-down' | 'never-started';
};

/** A container created but never started this long ago was left by a controller that died. */
export const NEVER_STARTED_MS = 120_000;
/**
 * A container an earlier controller process created and had not started: its start request,
 * if it was sent, has long completed by this age.
 */
export const LEFT_UNSTARTED_MS = 10_000;

export type Observation = {
  containers: RunnerContainer[];
  /** Containers last seen on engines that no longer answer. */
  unreachable?: RunnerContainer[];
  inFlight: Map<string, InFlight>;
  /** The number of this listing; a spawn counts until a listing begun after it is read. */
  listing: number;
  /** Runners named by a job's in_progress or completed event (or busy on GitHub). */
  busy: Map<string, number | undefined>;
  /** Runners whose job is in progress (or busy on GitHub): they are never stopped. */
  working: ReadonlySet<string>;
  /** Containers the engine reported dead, with exit codes, before its listing shows it. */
  died?: ReadonlyMap<string, number | undefined>;
  /** Runners whose start failed here: a container of theirs that was never started is removed. */
  abandoned?: ReadonlySet<string>;
  /**
   * When this controller process started: a container created before that (the engine counts
   * whole seconds) and never started was left by an earlier process, which died in between.
   */
  processStartedAt?: number;
  now: number;
};

/**
 * The runners the jobs name. `busy`: named by an in_progress or completed event (with the job),
 * busy until their containers exit; `working`: their job is in progress right now.
 */
export function runnersOfJobs(jobs: Iterable<Job>): {
  busy: Map<string, number | undefined>;
  working: Set<string>;
} {
  const busy = new Map<string, number | undefined>();
  const working = new Set<string>();
  for (const job of jobs) {
    if (job.state === 'queued' || !job.runnerName) continue;
    busy.set(job.runnerName, job.id);
    if (job.state === 'in_progress') working.add(job.runnerName);
  }
  return { busy, working };
}

/**
 * Joins the engine's listing with spawns still in flight. A spawn stays counted until a
 * listing that began after it finished has been read, so no listing can hide a new container.
 */
export function observeRunners(observation: Observation): RunnerView[] {
  const { containers, inFlight, listing, busy, working } = observation;
  const died = observation.died ?? new Map<string, number | undefined>();
  const views: RunnerView[] = [];
  const listed = new Set<string>();
  for (const container of containers) {
    listed.add(container.name);
    const busyJob = busy.get(container.name);
    const stranded = strandedBy(container, inFlight, working, observation);
    const dead =
      container.state === 'exited' || died.has(container.containerId) || stranded !== undefined;
    const exitCode = container.exitCode ?? died.get(container.containerId);
    const phase = dead
      ? 'exited'
      : busy.has(container.name)
        ? 'busy'
        : container.state === 'running'
          ? 'idle'
          : 'starting';
    views.push({
      name: container.name,
      poolId: container.poolId,
      engineId: container.engineId,
      phase:
        inFlight.has(container.name) && phase === 'exited' && container.containerId === ''
          ? 'starting'
          : phase,
      since: container.createdAt,
      jobId: busyJob ?? container.jobId,
      exitCode,
      containerId: container.containerId,
      ...(stranded && { stranded }),
    });
  }
  for (const container of observation.unreachable ?? []) {
    listed.add(container.name);
    views.push({
      name: container.name,
      poolId: container.poolId,
      engineId: container.engineId,
      phase: 'unreachable',
      since: container.createdAt,
      jobId: busy.get(container.name) ?? container.jobId,
      exitCode: undefined,
      containerId: container.containerId,
    });
  }
  for (const [name, spawn] of inFlight) {
    if (listed.has(name)) {
      if (spawn.doneAtListing !== undefined) inFlight.delete(name);
      continue;
    }
    if (spawn.doneAtListing !== undefined && listing > spawn.doneAtListing) {
      inFlight.delete(name);
      continue;
    }
    views.push({
      name,
      poolId: spawn.poolId,
      engineId: spawn.engineId,
      phase: 'starting',
      since: spawn.since,
      jobId: spawn.jobId,
      exitCode: undefined,
      containerId: '',
    });
  }
  return views;
}

/**
 * A runner that has not exited but can never do its work: its dind sidecar stopped (the runner
 * lost its engine and network), unless its job is still in progress; or it was created and never
 * started, by a controller that died in between.
 */
function strandedBy(
  container: RunnerContainer,
  inFlight: ReadonlyMap<string, InFlight>,
  working: ReadonlySet<string>,
  observation: Pick<Observation, 'abandoned' | 'processStartedAt' | 'now'>,
): RunnerView['stranded'] {
  if (container.state === 'exited' || working.has(container.name)) return undefined;
  if (container.sidecarDown) return 'sidecar-down';
  // Its start failed here (the engine went away in between), or by a controller that died: an
  // earlier process, or long ago.
  const { abandoned, processStartedAt, now } = observation;
  const given =
    abandoned?.has(container.name) === true ||
    (processStartedAt !== undefined &&
      container.createdAt < processStartedAt - 1_000 &&
      now - container.createdAt > LEFT_UNSTARTED_MS) ||
    now - container.createdAt > NEVER_STARTED_MS;
  if (container.state === 'created' && given && !inFlight.has(container.name))
    return 'never-started';
  return undefined;
}
