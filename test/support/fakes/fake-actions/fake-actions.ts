import type { FakeStatistics } from './job-flow.ts';
import type { FakeActionsFault, FakeOutage } from './request-listener.ts';
import type {
  FakeActionsRequest,
  FakeActionsViolation,
  FakeMessage,
  FakeScaleSet,
  FakeScaleSetJob,
  FakeScaleSetRunner,
  FakeSession,
} from './state.ts';

export interface FakeActionsOptions {
  /** Where to listen; 127.0.0.1 unless set (Docker's bridge gateway for bridged runners). */
  host?: string;
  /** Repository or organization URLs the exchange knows; `https://github.com/octocat/hello-world`. */
  configUrls?: string[];
  /** GHES-style prefix of the registration exchange route (`/api/v3`); none by default. */
  apiPathPrefix?: string;
  /** Admin JWT lifetime; 1 h. */
  adminTokenTtlMs?: number;
  /** A session without a poll or refresh for this long has expired; 10 s. */
  sessionTimeoutMs?: number;
  /** How long a poll waits before answering 202; 5 s (the service holds about 50 s). */
  longPollMs?: number;
  /** Registration tokens issued elsewhere (e.g. by the fake GitHub) that the exchange accepts. */
  acceptRegistrationToken?: (token: string, configUrl: string) => boolean;
}

export interface QueueJobInput {
  /** The job's `runs-on`; the scale set's name when only `scaleSet` is given. */
  labels?: string[];
  /** Target a scale set by name (its name is one of its labels). */
  scaleSet?: string;
  /** The tenant's config URL; the first of `configUrls` by default. */
  configUrl?: string;
  durationMs?: number;
  /** owner/name; the config URL's repository (or `<org>/app`) by default. */
  repository?: string;
  displayName?: string;
}

export interface FakeActions {
  /** Origin of the Actions service, the message queue and the stub routes. */
  url: string;
  /** Give this to the client as GitHub's API base (the registration exchange lives there). */
  apiUrl: string;
  /** The first config URL. */
  configUrl: string;
  unexpectedRequests: readonly FakeActionsRequest[];
  violations: readonly FakeActionsViolation[];
  /** Throws when a request matched no route or broke the reference client's contract. */
  assertClean(): void;
  close(): Promise<void>;

  addConfigUrl(url: string): void;
  addRunnerGroup(name: string, configUrl?: string): number;
  /** A registration token for the config URL, valid 1 h (as GitHub's). */
  issueRegistrationToken(configUrl?: string): string;
  /** A registration-token source that issues a fresh token per call and counts the calls. */
  registrationTokenSource(configUrl?: string): (() => Promise<string>) & { calls: () => number };
  queueJob(input: QueueJobInput): FakeScaleSetJob;
  cancelJob(runnerRequestId: number): void;

  // Faults
  failNext(fault: FakeActionsFault): void;
  /** The next message poll (of any session) answers `status`, 401 by default. */
  failNextPoll(status?: number): void;
  clearFaults(): void;
  /** Every message queue token is refused (401) until its session is refreshed. */
  expireMessageQueueTokens(): void;
  /** Every admin token issued so far is refused (401): the client must exchange again. */
  expireAdminTokens(): void;
  /** The scale set is removed on GitHub's side (sessions, messages and runners with it). */
  deleteScaleSet(name: string, configUrl?: string): void;
  /** Ends a session as if its holder had stopped polling long ago. */
  expireSession(sessionId: string): void;
  /**
   * Drops a session on the service's side (actions/scaleset#123): its queue token gets 401,
   * its refresh 404 `RunnerAdminException`, its deletion 400.
   */
  evictSession(sessionId: string): void;
  /** The service goes out of reach (see FakeOutage) until `endOutage()`. */
  outage(outage: FakeOutage): void;
  /** The service answers again; answers Date.now(), the moment of its return. */
  endOutage(): number;
  /** Connections held open without an answer (by a `hang` outage). */
  hanging(): number;

  // Observation
  scaleSets(): FakeScaleSet[];
  scaleSet(name: string, configUrl?: string): FakeScaleSet | undefined;
  sessions(): (FakeSession & { active: boolean })[];
  jobs(): FakeScaleSetJob[];
  job(runnerRequestId: number): FakeScaleSetJob | undefined;
  runners(): FakeScaleSetRunner[];
  messages(scaleSetName: string, configUrl?: string): FakeMessage[];
  statistics(scaleSetName: string, configUrl?: string): FakeStatistics;
  requests(): FakeActionsRequest[];
  /** Registration exchanges answered 201. */
  exchanges(): number;
  waitFor<T>(predicate: () => T, timeoutMs?: number, message?: string): Promise<NonNullable<T>>;
}
