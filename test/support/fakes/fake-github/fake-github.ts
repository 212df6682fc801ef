import type { ApiUsageEntry } from './api-usage.ts';
import type { ApiUsageSummary, UsageFilter } from './api-usage-summary.ts';
import type { AppInput, InstallationToken, Permission, TokenInput } from './app-auth.ts';
import type { Fault, FailNextOptions } from './faults.ts';
import type { FakeRunnerToken } from './runner-tokens.ts';
import type { SecondaryLimitAnswers, SecondaryLimitsOption } from './secondary-limits.ts';
import type {
  ContractViolation,
  FakeDelivery,
  FakeHook,
  FakeJob,
  FakeRelease,
  FakeRepo,
  FakeRunner,
  RequestLogEntry,
  StubReport,
} from './state.ts';

export interface RepoInput {
  owner: string;
  name: string;
  /** The owner is an organization (org runners, org hooks, `organization` in payloads). */
  org?: boolean;
}

export interface WebhookTarget {
  url: string;
  secret: string;
  /** `owner/name`; every repository (also those added later) when absent. */
  repo?: string;
  /** The hook's "SSL verification" off (`insecure_ssl: '1'`), e.g. for a self-signed certificate. */
  insecureSsl?: boolean;
  /**
   * The hook's content type: `json` (default here), or `form`, GitHub's own default for a hook
   * made in its settings page: the JSON is sent as the urlencoded form field `payload`.
   */
  contentType?: 'json' | 'form';
}

export interface FakeGitHubOptions {
  /**
   * Accepted as `Authorization: token X` or `Bearer X`; default `['test-token']`. A token given
   * as `{token, deny}` lacks those rights: `runners` → 403 "Resource not accessible by personal
   * access token" on runner routes; `hooks` → 404 on hook routes (as without admin:repo_hook).
   * `readOnly` rights are held at read level: GETs pass, writes get that 403.
   */
  tokens?: TokenInput[];
  /**
   * GitHub Apps: requests with an RS256 JWT signed by the app's private key (`iss` = id, `exp` at
   * most 10 minutes ahead) reach the app endpoints; the installation tokens they create are
   * accepted for the installation's account only. See generateTestAppKey().
   */
  apps?: AppInput[];
  /**
   * The address to listen on; default 127.0.0.1. Runners on a Docker bridge network reach the
   * fake at the bridge's gateway address (see dockerBridgeGateway()).
   */
  host?: string;
  /** GHES: every API route under this prefix (e.g. `/api/v3`); stub routes stay at the root. */
  pathPrefix?: string;
  /** Check requests and answers against GitHub's OpenAPI description; default true. */
  contractCheck?: boolean;
  /** The default repository; default `octocat/hello-world` (user-owned). */
  repo?: RepoInput;
  webhookTarget?: WebhookTarget;
  /** Primary rate limit per hour; default 5000. */
  rateLimit?: number;
  /**
   * GitHub's secondary rate limits per credential (concurrency, points a minute,
   * content-generating requests a minute and an hour), answered 403 with `retry-after`:
   * `true` for GitHub's figures, an object to replace some; off by default.
   */
  secondaryLimits?: SecondaryLimitsOption;
  /** GitHub gives a delivery 10 s. */
  webhookTimeoutMs?: number;
  /** How long a stub "runs" a job unless queueJob says otherwise; default 200 ms. */
  defaultJobDurationMs?: number;
}

export interface QueueJobOptions {
  /** `owner/name` or a repo from addRepo; the default repository when absent. */
  repo?: string | FakeRepo;
  labels: string[];
  durationMs?: number;
  /**
   * What the job does, for the runner stand-in that runs workflows with Docker
   * (test/support/images/runner-tarball/bin/standin-worker.sh): `{container?, services?, steps}`.
   */
  workflow?: unknown;
  /** Send the `queued` webhook (default true); false simulates a lost delivery. */
  sendWebhook?: boolean;
  /** Add the job to an existing workflow run instead of a new one. */
  runId?: number;
}

export interface SendWebhookOptions {
  repo?: string | FakeRepo;
  /** X-GitHub-Delivery to use (e.g. to replay a delivery); a new uuid otherwise. */
  deliveryId?: string;
  /** Replaces X-Hub-Signature-256; `null` omits it. */
  signatureOverride?: string | null;
  /** Exact body to send (e.g. malformed JSON); signed as is. */
  rawBody?: string;
}

export interface ReleaseInput {
  repo: string;
  tagName: string;
  name?: string;
  publishedAt: Date | string | number;
  prerelease?: boolean;
  assets?: { name: string; digest?: string; size?: number }[];
}

export interface FakeGitHub {
  /**
   * Lets the fake Actions service (test/support/fakes/fake-actions, its `apiUrl`) answer GitHub's
   * registration exchange (`POST /actions/runner-registration`) once this fake has checked the
   * registration token, as GitHub does for a runner scale set client.
   */
  useActionsService(apiUrl: string): void;
  /** Origin, e.g. `http://127.0.0.1:PORT`: the controller's GITHUB_API_URL (no pathPrefix). */
  readonly url: string;
  /** `url` + pathPrefix (e.g. `http://127.0.0.1:PORT/api/v3`); `url` without a prefix. */
  readonly apiUrl: string;
  /** The first configured token. */
  readonly token: string;
  readonly defaultRepo: FakeRepo;
  /** Requests that matched no route (404); tests assert it stays empty. */
  readonly unexpectedRequests: readonly RequestLogEntry[];
  /**
   * Requests (bodies, routes) and the fake's own answers that break GitHub's OpenAPI description;
   * tests assert it stays empty. Empty when `contractCheck: false`.
   */
  readonly contractViolations: readonly ContractViolation[];
  /** Throws a readable error when unexpectedRequests or contractViolations is not empty. */
  assertClean: () => void;
  close: () => Promise<void>;

  addRepo: (input: RepoInput) => FakeRepo;
  setWebhookTarget: (target: WebhookTarget) => void;
  /** Adds a runner group to an organization (added with addRepo); returns its id (Default is 1). */
  addRunnerGroup: (org: string, name: string) => number;
  /** Installation access tokens created so far. */
  installationTokens: () => readonly InstallationToken[];
  /** Expires every installation token created so far (they then get 401 Bad credentials). */
  expireInstallationTokens: () => void;
  /** A plain token's permissions change, as when its owner edits it on GitHub (none denied: []). */
  setTokenDenied: (token: string, deny: Permission[]) => void;
  queueJob: (options: QueueJobOptions) => Promise<{ id: number; runId: number }>;
  /** Completes a queued or running job with conclusion `cancelled` (sends `completed`). */
  cancelJob: (id: number) => Promise<void>;
  sendWebhook: (
    event: string,
    payload: unknown,
    options?: SendWebhookOptions,
  ) => Promise<FakeDelivery[]>;

  /**
   * Publishes a release of a public repository (`owner/name`, e.g. `actions/runner`), served by
   * `GET /repos/{o}/{r}/releases[/latest]` with or without a token.
   */
  publishRelease: (input: ReleaseInput) => FakeRelease;
  /** What jobs on the runner stub reported (POST /_stub/runners/<name>/report), in order. */
  reports: () => readonly StubReport[];
  jobs: () => readonly FakeJob[];
  job: (id: number) => FakeJob | undefined;
  runners: () => readonly FakeRunner[];
  /** Registration and remove tokens handed out (`POST {scope}/actions/runners/*-token`). */
  runnerTokens: () => readonly FakeRunnerToken[];
  hooks: () => readonly FakeHook[];
  deliveries: () => readonly FakeDelivery[];
  requests: () => readonly RequestLogEntry[];
  /** Polls until `predicate` returns a truthy value and resolves with it. */
  waitFor: <T>(predicate: () => T, timeoutMs?: number, message?: string) => Promise<NonNullable<T>>;
  /** Resolves when every webhook delivery started so far has finished. */
  settled: () => Promise<void>;

  failNext: (options: FailNextOptions) => void;
  failAlways: (fault: Fault) => void;
  clearFaults: () => void;
  /** Primary rate limit used up until the reset (403, x-ratelimit-remaining: 0). */
  exhaustRateLimit: (resetInSeconds?: number) => void;
  resetRateLimit: () => void;
  rateLimit: () => { limit: number; remaining: number; reset: number; used: number };
  /** Requests refused by the secondary limits (forced ones too), by credential and route. */
  secondaryLimitAnswers: () => SecondaryLimitAnswers;
  /**
   * The credential's requests (default: the first token; `installation:<id>` for an App
   * installation) are refused as over a secondary limit for `retryAfterSeconds` (default 60).
   */
  forceSecondaryLimit: (options?: { credential?: string; retryAfterSeconds?: number }) => void;
  /** Every API request with its credential, method, start and end (stub routes not included). */
  apiUsage: () => readonly ApiUsageEntry[];
  /** apiUsage() summed per credential: totals, per minute, 60-s peaks, most in flight at once. */
  apiUsageSummary: (filter?: Omit<UsageFilter, 'credential'>) => Record<string, ApiUsageSummary>;
  /** Fraction (0..1) of webhook deliveries that fail as unreachable (502), redeliverable. */
  dropWebhooks: (rate: number) => void;
}
