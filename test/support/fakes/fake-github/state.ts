export type JobStatus = 'queued' | 'in_progress' | 'completed';
export type JobConclusion = 'success' | 'failure' | 'cancelled';

export interface FakeOrg {
  id: number;
  login: string;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  /** Set when the owner is an organization. */
  org: FakeOrg | undefined;
}

/** Where runners and hooks live: a repository or an organization. */
export type Scope = { kind: 'repo'; repo: FakeRepo } | { kind: 'org'; org: FakeOrg };

export interface FakeRunner {
  id: number;
  name: string;
  labels: string[];
  status: 'online' | 'offline';
  busy: boolean;
  scope: Scope;
  runnerGroupId: number;
  jobId: number | undefined;
  /** False for a long-lived runner registered with a registration token; JIT runners are ephemeral. */
  ephemeral?: boolean;
}

export interface FakeJob {
  id: number;
  runId: number;
  repo: FakeRepo;
  labels: string[];
  status: JobStatus;
  conclusion: JobConclusion | null;
  runnerName: string | null;
  runnerId: number | null;
  durationMs: number;
  /** What the job does, for runner stand-ins that run workflows (runner-tarball's worker). */
  workflow: unknown;
  createdAt: string;
  startedAt: string;
  completedAt: string | null;
}

export interface FakeRun {
  id: number;
  repo: FakeRepo;
  createdAt: string;
  updatedAt: string;
}

export interface HookConfig {
  url: string;
  content_type: 'json' | 'form';
  secret: string;
  insecure_ssl: string;
}

export interface FakeHook {
  id: number;
  scope: Scope;
  config: HookConfig;
  events: string[];
  active: boolean;
  /** 'default' hooks stand for the target set with setWebhookTarget; API hooks replace them. */
  origin: 'api' | 'default';
  createdAt: string;
  updatedAt: string;
  lastResponse: { code: number | null; status: string | null; message: string | null };
}

export interface FakeDelivery {
  id: number;
  guid: string;
  hookId: number;
  event: string;
  action: string | null;
  statusCode: number;
  status: string;
  deliveredAt: string;
  durationSeconds: number;
  redelivery: boolean;
  repositoryId: number | null;
  url: string;
  requestHeaders: Record<string, string>;
  payload: unknown;
  responseBody: string;
}

/** An organization's runner group other than Default (id 1, implicit in every organization). */
export interface FakeRunnerGroup {
  id: number;
  name: string;
  org: FakeOrg;
}

/** A request or response of an API route that does not match GitHub's OpenAPI description. */
export interface ContractViolation {
  method: string;
  /** The request path as sent (with the GHES prefix, if any). */
  path: string;
  /** The OpenAPI path template, e.g. `/repos/{owner}/{repo}/hooks`. */
  template: string;
  where: 'request' | 'response';
  /** The response status (for `response` violations). */
  status?: number;
  errors: string[];
}

/** A published release of a public repository (actions/runner, say), served without a token. */
export interface FakeRelease {
  id: number;
  /** `owner/name`, lowercased. */
  repo: string;
  tagName: string;
  name: string;
  prerelease: boolean;
  publishedAt: string;
  createdAt: string;
  assets: { id: number; name: string; digest: string | null; size: number }[];
}

/** What a job running on the runner stub reported (POST /_stub/runners/<name>/report). */
export interface StubReport {
  runnerName: string;
  jobId: number | null;
  text: string;
  at: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

export interface FakeState {
  orgs: Map<string, FakeOrg>;
  repos: Map<string, FakeRepo>;
  runners: Map<number, FakeRunner>;
  /** Names of runners whose registration was deleted, so the stub learns it must exit (410). */
  deletedRunnerNames: Set<string>;
  jobs: Map<number, FakeJob>;
  runs: Map<number, FakeRun>;
  hooks: Map<number, FakeHook>;
  runnerGroups: Map<number, FakeRunnerGroup>;
  deliveries: FakeDelivery[];
  releases: FakeRelease[];
  reports: StubReport[];
  requests: RequestLogEntry[];
  unexpectedRequests: RequestLogEntry[];
  contractViolations: ContractViolation[];
  nextId: (kind: IdKind) => number;
}

export type IdKind =
  | 'org'
  | 'repo'
  | 'runner'
  | 'job'
  | 'run'
  | 'hook'
  | 'delivery'
  | 'runnerGroup'
  | 'release'
  | 'asset';

const firstIds: Record<IdKind, number> = {
  org: 9_000_001,
  repo: 100_001,
  runner: 1,
  job: 50_000_001,
  run: 7_000_001,
  hook: 400_001,
  delivery: 1_000_000_001,
  runnerGroup: 2,
  release: 250_000_001,
  asset: 300_000_001,
};

export function createFakeState(): FakeState {
  const counters = { ...firstIds };
  return {
    orgs: new Map(),
    repos: new Map(),
    runners: new Map(),
    deletedRunnerNames: new Set(),
    jobs: new Map(),
    runs: new Map(),
    hooks: new Map(),
    runnerGroups: new Map(),
    deliveries: [],
    releases: [],
    reports: [],
    requests: [],
    unexpectedRequests: [],
    contractViolations: [],
    nextId: (kind) => counters[kind]++,
  };
}

export function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}

export function scopeMatches(a: Scope, b: Scope): boolean {
  if (a.kind === 'repo' && b.kind === 'repo') return a.repo.id === b.repo.id;
  if (a.kind === 'org' && b.kind === 'org') return a.org.id === b.org.id;
  return false;
}
