import type { GitHubTarget } from './github-url.ts';
import type { GlobalSettings } from './global-settings.ts';
import type { DockerMode, Platform, PullPolicy } from './pool-settings.ts';
import type { EngineConfig } from './engine-settings.ts';

export type GitHubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string; installationId: string | undefined };

/** Resource limits of one container; unset means the engine's default (no limit). */
export type ContainerLimits = {
  cpus: number | undefined;
  memoryBytes: number | undefined;
  pidsLimit: number | undefined;
  shmSizeBytes: number | undefined;
};

export type JobSourceConfig = { kind: 'webhook' } | { kind: 'scaleset'; scaleSetName: string };

/** One pool of runners: what jobs it serves (labels), where and how its runners run. */
export type PoolConfig = {
  /** Unique over the controller: the entry's id, or `<entry id>/<pool id>` for declared pools. */
  id: string;
  /** The repository or organization entry it belongs to (its credentials and webhook). */
  repoId: string;
  target: GitHubTarget;
  auth: GitHubAuth;
  runnerLabels: string[];
  runnerGroup: string;
  runnerNamePrefix: string;
  runnerImage: string;
  pullPolicy: PullPolicy;
  /** The platform its runners need; undefined: the engine's own. */
  platform: Platform | undefined;
  dockerMode: DockerMode;
  maxRunners: number;
  minIdleRunners: number;
  jobSource: JobSourceConfig;
  /** Runners go only to engines carrying all these labels. */
  engineLabels: Record<string, string>;
  network: string | undefined;
  stopTimeoutSeconds: number | undefined;
  containerLabels: Record<string, string>;
  limits: { runner: ContainerLimits; dind: ContainerLimits };
  /**
   * The OCI runtimes (as dockerd names them) of its runner and its sidecar (`dind` mode only);
   * undefined: the engine's default. Runners go only to engines that offer them.
   */
  runtimes: { runner: string | undefined; dind: string | undefined };
  dind: {
    image: string;
    privileged: boolean;
    registryMirror: string | undefined;
    /** Named volumes kept for the sidecar's /var/lib/docker (0: a fresh one per runner). */
    cacheVolumes: number;
    cacheMaxBytes: number;
  };
};

/** A repository or organization: one credential and one webhook, serving one or more pools. */
export type RepoConfig = {
  id: string;
  githubUrl: string;
  target: GitHubTarget;
  auth: GitHubAuth;
  webhookSecret: string | undefined;
  pools: PoolConfig[];
};

export type Config = {
  mode: 'single' | 'multi';
  port: number;
  host: string;
  logLevel: GlobalSettings['LOG_LEVEL'];
  dataDir: string;
  maxRunners: number;
  controllerId: string;
  resyncIntervalSeconds: number;
  /** GitHub requests a minute the resync may make per credential. */
  resyncBudgetPerMinute: number;
  runnerIdleTimeoutSeconds: number;
  /** A job waiting longer than this is logged once, with why it waits. */
  jobWaitWarnSeconds: number;
  webhookHost: string | undefined;
  /** Hooks are registered with TLS verification off (a self-signed certificate). */
  webhookInsecureSsl: boolean;
  webhookBodyLimitBytes: number;
  runnerReleasesUrl: string;
  pullIntervalSeconds: number;
  /** Docker's client config directory: registry logins (config.json) and contexts. */
  dockerConfigDir: string;
  build: { version: string; revision: string };
  engines: EngineConfig[] | undefined;
  repos: RepoConfig[];
  /** Every pool of every repository, in declaration order. */
  pools: PoolConfig[];
  /** Environment variables that look like a misspelt setting (not fatal: the env is shared). */
  warnings: string[];
};

export type ConfigProblem = { setting: string; reason: string };
export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

export type ConfigSources = {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  /** The uid the controller runs as, named when a file cannot be read. */
  uid?: number | undefined;
  /**
   * Makes sure the controller can write DATA_DIR (creating it if need be) and throws, as the
   * file system does, when it cannot; left out, DATA_DIR is not checked.
   */
  dataDir?: (path: string) => void;
};
