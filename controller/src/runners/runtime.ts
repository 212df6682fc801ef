import type { PoolConfig } from '../config/config-types.ts';

export type ContainerRole = 'runner' | 'dind';

/** A runner container this controller made, as the engine reports it. */
export type RunnerContainer = {
  name: string;
  poolId: string;
  engineId: string;
  containerId: string;
  state: 'created' | 'running' | 'exited';
  exitCode: number | undefined;
  createdAt: number;
  startedAt: number | undefined;
  jobId: number | undefined;
  /** Its dind sidecar exists and has stopped: the runner has lost its engine and its network. */
  sidecarDown: boolean;
};

/** What the engine needs of a pool to run its runners; no credential is part of it. */
export type PoolRuntimeSettings = Pick<
  PoolConfig,
  | 'id'
  | 'repoId'
  | 'runnerImage'
  | 'pullPolicy'
  | 'platform'
  | 'dockerMode'
  | 'network'
  | 'stopTimeoutSeconds'
  | 'containerLabels'
  | 'limits'
  | 'runtimes'
  | 'dind'
>;

export function runtimeSettings(pool: PoolConfig): PoolRuntimeSettings {
  const { id, repoId, runnerImage, pullPolicy, platform, dockerMode, network } = pool;
  const { stopTimeoutSeconds, containerLabels, limits, runtimes, dind } = pool;
  return {
    id,
    repoId,
    runnerImage,
    pullPolicy,
    platform,
    dockerMode,
    network,
    stopTimeoutSeconds,
    containerLabels,
    limits,
    runtimes,
    dind,
  };
}

export type RunnerSpec = {
  name: string;
  pool: PoolRuntimeSettings;
  /** The engine the planner placed it on. */
  engineId: string;
  jitConfig: string;
  /** The job whose arrival caused this runner; informational only. */
  jobId: number | undefined;
};

/** `died`: containers the engine reported dead, with their exit codes, ahead of its listing. */
export type RuntimeEvent =
  | {
      kind: 'changed';
      engineId: string;
      died: { containerId: string; exitCode: number | undefined }[];
    }
  | { kind: 'engine-down'; engineId: string; error: Error };

/** An engine as the controller knows it now; its endpoint is shown without credentials. */
export type EngineStatus = {
  id: string;
  endpoint: string;
  capacity: number;
  labels: Record<string, string>;
  /** It answered its last listing. */
  up: boolean;
  /** Platforms it can run: configured, or found out (its own, plus emulated ones). */
  platforms: string[];
  /** The OCI runtimes it offers (`docker info`'s Runtimes); undefined: not read yet. */
  runtimes: string[] | undefined;
  error: string | undefined;
  downSince: number | undefined;
};

/** One reading of every engine. */
export type Listing = {
  /** The containers of the engines that answered. */
  containers: RunnerContainer[];
  /** The containers last seen on engines that no longer answer: they may still run. */
  unreachable: RunnerContainer[];
  /**
   * Set when an engine was not asked again (its last listing still stood): when the earliest of
   * those listings stops standing. A pass that used one looks again then, so what an engine's
   * events did not report (a stream that broke silently) is seen within that bound.
   */
  reusedUntil?: number;
};

/** Where runner containers live: one or several Docker engines. */
export type RunnerRuntime = {
  engines(): EngineStatus[];
  /**
   * Reads every engine; an engine that does not answer is marked down, never thrown for. An
   * engine whose event stream reported nothing since its last listing began (and where this
   * runtime finished no start or removal since) is not asked again for a few seconds.
   */
  list(): Promise<Listing>;
  start(spec: RunnerSpec): Promise<void>;
  /** Removes a runner with its sidecar and volumes; removing what is gone already succeeds. */
  remove(name: string): Promise<void>;
  /** Follows engine events until the returned function is called. */
  watch(onEvent: (event: RuntimeEvent) => void): () => void;
  /** Pulls an image onto an engine (with the registry's credentials, if configured). */
  pullImage(engineId: string, image: string, platform: string | undefined): Promise<void>;
  /**
   * An image's labels on an engine, and whether it was built (or loaded) there rather than
   * pulled (`builtHere`). Undefined when the engine does not have it.
   */
  inspectImage(
    engineId: string,
    image: string,
  ): Promise<{ labels: Record<string, string>; local?: boolean } | undefined>;
};
