import type { WaitReasonName } from '../reconcile/wait-types.ts';

/** What is known of a pool's runner image: its labels' version, and trouble pulling it. */
export type ImageHealth = {
  version: string | null;
  revision: string | null;
  pullError?: string;
};

export type PoolHealthReport = {
  id: string;
  labels: string[];
  jobSource: string;
  healthy: boolean;
  waitingJobs: number;
  /** Its waiting jobs by reason (they add up to `waitingJobs`), the oldest's wait in seconds. */
  waitReasons: {
    reason: WaitReasonName;
    jobs: number;
    /** null when none of them is booked (known only by a scale set's count). */
    oldestWaitingSeconds: number | null;
  }[];
  maxRunners: number;
  startFailures: number;
  earlyExits: number;
  givenUpJobs: number;
  imageOutdated: boolean;
  runnerImage: { image: string } & ImageHealth;
  /** A scale-set pool's session with the Actions service. */
  scaleSet?: {
    name: string;
    state: string;
    assignedJobs: number | null;
    runningJobs: number | null;
    sincePollSeconds: number | null;
    sinceMessageSeconds: number | null;
    error?: string;
  };
  /** Its runner version against actions/runner's releases; null while either is unknown. */
  runnerUpdate: {
    latest: string;
    /** A newer release has been out for more than 7 days. */
    outdated: boolean;
    /** When GitHub stops queueing jobs to this version (30 days after its successor). */
    deadline: string | null;
    daysLeft: number | null;
  } | null;
  lastError?: string;
};

export type RepositoryHealth = {
  id: string;
  /** False when anything keeps this repository or one of its pools from being served. */
  healthy: boolean;
  github: { reachable: boolean; lastSyncAt: string | null; error?: string };
  webhook?: { url: string; hookId: number | null; redelivered: number; error?: string };
  pools: PoolHealthReport[];
};

export type EngineHealth = {
  name: string;
  endpoint: string;
  up: boolean;
  capacity: number;
  runners: number;
  platforms: string[];
  /** The OCI runtimes it offers; null until it has answered. */
  runtimes: string[] | null;
  labels: Record<string, string>;
  error?: string;
  downSince?: string;
};

/** One credential's share of GitHub's limits, and how long a resync round of its entries takes. */
export type CredentialHealth = {
  name: string;
  repositories: number;
  pointsLastMinute: number;
  contentLastMinute: number;
  /** Waiting out GitHub's retry-after (seconds left), else 0. */
  pausedForSeconds: number;
  secondaryLimitAnswers: number;
  resyncBudgetPerMinute: number;
  /** How long the last round of resyncs over its repositories took; null before the first. */
  resyncRoundSeconds: number | null;
};

/** A job waiting for a runner, and why it waits now. */
export type WaitingJobHealth = {
  repo: string;
  /** null: no pool serves its labels. */
  pool: string | null;
  jobId: number;
  repository: string;
  /** When the controller learnt of it. */
  since: string;
  waitingSeconds: number;
  reason: WaitReasonName;
  detail: string;
};

export type HealthReport = {
  /** failing (503): Docker or GitHub unreachable, or an outdated runner image; degraded: a repository is unhealthy. */
  status: 'ok' | 'degraded' | 'failing';
  build: { version: string; revision: string };
  maxRunners: number;
  queueDepth: number;
  docker: { reachable: boolean; error?: string; engines: EngineHealth[] };
  runners: {
    name: string;
    repo: string;
    pool: string;
    state: string;
    jobId: number | null;
    ageSeconds: number;
  }[];
  /** The oldest waiting jobs (at most 100), oldest first, each with its reason. */
  waitingJobs: WaitingJobHealth[];
  repositories: RepositoryHealth[];
  /** actions/runner's latest release, as last read (once a day). */
  runnerReleases: { latest: string | null; checkedAt: string | null; error?: string };
  /** Recent queued jobs that no pool serves, with their labels and those of the pools that might have. */
  unservedJobs: {
    repo: string;
    repository: string;
    jobId: number;
    labels: string[];
    pools: { id: string; labels: string[] }[];
    at: string;
  }[];
  /** GitHub credentials, each shared by the entries that use it. */
  credentials: CredentialHealth[];
  warnings: string[];
};
