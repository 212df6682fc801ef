/*
 * State of the fake Actions service. Shapes follow the reference client,
 * github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca, types.go.
 */

/** One repository or organization URL and its Actions service tenant. */
export interface FakeTenant {
  id: number;
  configUrl: string;
  runnerGroups: { id: number; name: string; isDefaultGroup: boolean }[];
}

export interface FakeScaleSet {
  id: number;
  tenant: FakeTenant;
  name: string;
  runnerGroupId: number;
  labels: { name: string; type: string }[];
  disableUpdate: boolean;
  createdOn: string;
  deleted: boolean;
  /** X-ScaleSetMaxCapacity of the latest poll; nothing is assigned before the first. */
  capacity: number;
  /** Job messages not yet put into a queue message. */
  pending: Record<string, unknown>[];
  messages: FakeMessage[];
  /** Long polls waiting for a message; called when one may be there. */
  waiters: Set<() => void>;
}

export interface FakeMessage {
  id: number;
  scaleSetId: number;
  jobMessages: Record<string, unknown>[];
  acknowledged: boolean;
  /** How often it was handed out (more than once: redelivered). */
  deliveries: number;
}

export interface FakeSession {
  id: string;
  scaleSet: FakeScaleSet;
  ownerName: string;
  token: string;
  /** False after expireMessageQueueTokens(): 401 until the session is refreshed (PATCH). */
  tokenValid: boolean;
  lastSeenAt: number;
  /** Long polls in flight: a session being polled is active. */
  polling: number;
  /**
   * Why it ended, when it has. `evicted`: dropped on the service's side (actions/scaleset#123):
   * its queue token gets 401 and its refresh 404.
   */
  ended: 'deleted' | 'expired' | 'evicted' | 'scale-set-deleted' | undefined;
}

/**
 * `unmatched`: no scale set has its labels (yet); `available`: offered to its scale set
 * (JobAvailable sent); `acquired`: claimed through acquirejobs; `assigned`: given to the scale
 * set within its capacity (JobAssigned); `running`: a runner took it (JobStarted);
 * `completed`: JobCompleted sent.
 */
export type FakeJobState =
  'unmatched' | 'available' | 'acquired' | 'assigned' | 'running' | 'completed';

export interface FakeScaleSetJob {
  runnerRequestId: number;
  /** The service's job id: an opaque string, not the REST API's workflow job id. */
  jobId: string;
  tenant: FakeTenant;
  scaleSet: FakeScaleSet | undefined;
  owner: string;
  repository: string;
  workflowRunId: number;
  labels: string[];
  displayName: string;
  durationMs: number;
  state: FakeJobState;
  result: 'succeeded' | 'failed' | 'canceled' | undefined;
  runner: FakeScaleSetRunner | undefined;
  queueTime: string;
  scaleSetAssignTime: string | undefined;
  runnerAssignTime: string | undefined;
  finishTime: string | undefined;
}

export interface FakeScaleSetRunner {
  id: number;
  name: string;
  scaleSet: FakeScaleSet;
  /** `gone`: its one job completed (ephemeral) or its scale set was deleted. */
  state: 'idle' | 'busy' | 'gone';
  job: FakeScaleSetJob | undefined;
}

export interface FakeActionsRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** X-ScaleSetMaxCapacity, on message polls. */
  capacity?: number;
  at: number;
}

/** A request the fake answered although the reference client would not send it so. */
export interface FakeActionsViolation {
  method: string;
  path: string;
  problem: string;
}

export function createFakeActionsState() {
  const counters = { tenant: 0, scaleSet: 0, job: 0, runner: 0, run: 0, message: 0 };
  return {
    tenants: new Map<string, FakeTenant>(),
    scaleSets: new Map<number, FakeScaleSet>(),
    sessions: new Map<string, FakeSession>(),
    jobs: new Map<number, FakeScaleSetJob>(),
    runners: new Map<number, FakeScaleSetRunner>(),
    registrationTokens: new Map<string, { configUrl: string; expiresAt: number }>(),
    requests: [] as FakeActionsRequest[],
    unexpectedRequests: [] as FakeActionsRequest[],
    violations: [] as FakeActionsViolation[],
    exchanges: 0,
    nextId(kind: keyof typeof counters): number {
      counters[kind] += 1;
      return counters[kind];
    },
  };
}

export type FakeActionsState = ReturnType<typeof createFakeActionsState>;

/** Config URLs compare without case and trailing slashes, as GitHub treats them. */
export function configKey(url: string): string {
  return url.replace(/\/+$/, '').toLowerCase();
}

/** Go's zero time, which the service sends for times that are not set. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
