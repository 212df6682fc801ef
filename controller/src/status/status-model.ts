import type { Config } from '../config/config-types.ts';
import type { ReleaseFeed } from '../github/runner-releases.ts';
import type { Job } from '../jobs/job-book.ts';
import type { UnservedJob } from '../jobs/unserved-jobs.ts';
import type { RunnerView } from '../reconcile/observe-runners.ts';
import type { PoolHealth } from '../reconcile/pool-health.ts';
import type { WaitReport } from '../reconcile/wait-types.ts';
import type { GitHubHealth } from '../resync/repo-resync.ts';
import type { ImageState } from '../runners/image-keeper.ts';
import type { EngineStatus } from '../runners/runtime.ts';
import type { ScaleSetHealth } from '../scaleset/scale-set-source.ts';
import type { HookHealth } from '../webhook/hook-manager.ts';
import type { CredentialHealth } from './health-types.ts';
import { runnerFreshness, type RunnerFreshness } from './runner-freshness.ts';

/**
 * What the controller knows now, read alike by /health, the status page and the metrics. Every
 * reader answers from memory: serving them never waits on Docker or GitHub.
 */
export type StatusModel = {
  config: Pick<Config, 'maxRunners' | 'repos' | 'pools' | 'build' | 'resyncIntervalSeconds'>;
  now: () => number;
  /** The runners as the reconciler's last pass saw them. */
  runners: () => readonly RunnerView[];
  /** A pool's waiting jobs: the count the planner reads. */
  waitingJobs: (poolId: string) => number;
  /** Why each waiting job waits, as of the reconciler's last pass. */
  waits: () => WaitReport;
  jobs: () => readonly Job[];
  engines: () => readonly EngineStatus[];
  /** Why the last pass failed to read the engines, if it did. */
  engineError: () => string | undefined;
  /** Pools no engine can run (their platform, or the engine labels they are pinned to). */
  refusedPools: () => ReadonlySet<string>;
  poolHealth: (poolId: string) => PoolHealth | undefined;
  image: (poolId: string) => ImageState | undefined;
  scaleSet: (poolId: string) => ScaleSetHealth | undefined;
  github: (repoId: string) => GitHubHealth | undefined;
  hook: (repoId: string) => HookHealth | undefined;
  unserved: () => readonly UnservedJob[];
  releases: () => ReleaseFeed;
  credentials: () => CredentialHealth[];
};

/** A pool's runner version against actions/runner's releases, once both are known. */
export function poolFreshness(
  model: Pick<StatusModel, 'image' | 'releases' | 'now'>,
  poolId: string,
): RunnerFreshness | undefined {
  return runnerFreshness(model.image(poolId)?.version, model.releases(), model.now());
}
