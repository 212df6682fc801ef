import type { DockerMode } from '../config/pool-settings.ts';

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

export type RunnerSpec = {
  name: string;
  poolId: string;
  image: string;
  jitConfig: string;
  dockerMode: DockerMode;
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

/** Where runner containers live: one or several Docker engines. */
export type RunnerRuntime = {
  /** Total runner capacity over all engines. */
  capacity(): number;
  list(): Promise<RunnerContainer[]>;
  start(spec: RunnerSpec): Promise<void>;
  /** Removes a runner with its sidecar and volumes; removing what is gone already succeeds. */
  remove(name: string): Promise<void>;
  /** Follows engine events until the returned function is called. */
  watch(onEvent: (event: RuntimeEvent) => void): () => void;
  ping(): Promise<{ engineId: string; ok: boolean }[]>;
};
