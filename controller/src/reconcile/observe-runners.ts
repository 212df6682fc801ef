import type { Job } from '../jobs/job-book.ts';
import type { RunnerContainer } from '../runners/runtime.ts';
import type { ObservedRunner } from './plan.ts';

export type InFlight = {
  poolId: string;
  since: number;
  jobId: number | undefined;
  doneAtListing?: number;
};

export type RunnerView = ObservedRunner & {
  jobId: number | undefined;
  exitCode: number | undefined;
  /** Empty for leftovers (a sidecar or volume without its runner) and spawns in flight. */
  containerId: string;
};

/** Which runner names are running a job: named by an in_progress or completed event. */
export function busyRunners(jobs: Iterable<Job>): Map<string, number | undefined> {
  const busy = new Map<string, number | undefined>();
  for (const job of jobs) {
    if (job.state !== 'queued' && job.runnerName) busy.set(job.runnerName, job.id);
  }
  return busy;
}

/**
 * Joins the engine's listing with spawns still in flight. A spawn stays counted until a
 * listing that began after it finished has been read, so no listing can hide a new container.
 */
export function observeRunners(
  containers: RunnerContainer[],
  inFlight: Map<string, InFlight>,
  listing: number,
  busy: Map<string, number | undefined>,
  died: ReadonlyMap<string, number | undefined> = new Map(),
): RunnerView[] {
  const views: RunnerView[] = [];
  const listed = new Set<string>();
  for (const container of containers) {
    listed.add(container.name);
    const busyJob = busy.get(container.name);
    const dead = container.state === 'exited' || died.has(container.containerId);
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
      phase:
        inFlight.has(container.name) && phase === 'exited' && container.containerId === ''
          ? 'starting'
          : phase,
      since: container.createdAt,
      jobId: busyJob ?? container.jobId,
      exitCode,
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
      phase: 'starting',
      since: spawn.since,
      jobId: spawn.jobId,
      exitCode: undefined,
      containerId: '',
    });
  }
  return views;
}
