/**
 * A pool's job source in scale-set mode: GitHub's runner scale set protocol, no webhook.
 *
 * ```ts
 * const actions = createActionsClient({ apiUrl, configUrl, registrationToken, log }); // one per repository/org
 * const source = createScaleSetSource({ actions, scaleSetName, ownerName, maxCapacity, log });
 * source.start(async (batch) => { ...book batch.events, keep batch.statistics... });
 * const { runnerName, encodedJitConfig } = await source.jitConfig('runner-abc'); // per runner
 * source.health(); // state, statistics, message lag
 * await source.stop(); // on SIGTERM: ends the poll, deletes the session
 * ```
 *
 * - `start(onBatch)` finds the scale set by name (creating it with its name as its label plus
 *   `labels`; recreating it, with a log line, when it was removed on GitHub's side), opens a
 *   session (waiting out a 409 while an earlier one is active) and long-polls its queue.
 *   `onBatch` gets the statistics a session starts with (`messageId` undefined), then one
 *   batch per message: statistics and job events in the order sent. A message is acknowledged
 *   only after `onBatch` resolved: if it throws (or the process dies), the message comes again
 *   (after a restart, to the next session), so `onBatch` must apply events idempotently. Jobs
 *   offered (`job-available`) are acquired before `onBatch` sees them.
 * - Scale on `statistics.totalAssignedJobs` (jobs assigned to the scale set, waiting or
 *   running), never on counting events: a message holds at most 50 job messages and a
 *   backlog is truncated, while the statistics are always whole (the reference's README).
 * - `maxCapacity()` is read before every poll and sent in X-ScaleSetMaxCapacity; the service
 *   assigns no more jobs than that to the scale set. It counts jobs assigned including
 *   running ones (the reference's listener sends its MaxRunners), so return the number of
 *   jobs the scale set can hold at once now: its busy runners plus what can still start.
 * - `jitConfig(name)` registers a single-use runner in the scale set; its `encodedJitConfig`
 *   goes to the runner in ACTIONS_RUNNER_INPUT_JITCONFIG. It throws until the scale set is
 *   known (`health().scaleSetId`), and with status 409 when the name is taken.
 * - `health()` is cheap and holds no secret. Message lag: `sincePollMs` is the time since the
 *   queue last answered (a long poll answers at least every minute or so when healthy);
 *   `sinceMessageMs` the time since the last message.
 *
 * Protocol after github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca
 * (client.go, session_client.go, types.go, listener/listener.go). Unlike its listener, which
 * acknowledges a message before handling it, this one acknowledges after, so a crash loses
 * no event.
 */
import type { Logger } from 'pino';
import type { ActionsClient } from './actions-client.ts';
import { classifyActionsError } from './actions-error.ts';
import type { ScaleSetSession, ScaleSetStatistics } from './actions-wire.ts';
import { abortableSleep, backoffDelay, type BackoffOptions, type Sleep } from './backoff.ts';
import type { ParsedMessage } from './message-queue.ts';
import { toEvents, type ScaleSetBatch } from './scale-set-events.ts';
import { createScaleSetKeeper } from './scale-set-keeper.ts';

export type ScaleSetSourceOptions = {
  /** The Actions client of the repository or organization (shared by its scale sets). */
  actions: ActionsClient;
  /** The scale set's name: the label workflows target (`runs-on: NAME`). */
  scaleSetName: string;
  /** Labels besides the name, given to the scale set when it is created. */
  labels?: string[];
  /** Runner group by name; `default` unless set. */
  runnerGroup?: string;
  /** Who holds the session (shown on GitHub); e.g. host name and controller id. */
  ownerName: string;
  maxCapacity: () => number;
  log: Logger;
  now?: () => number;
  sleep?: Sleep;
  /** Wait between session attempts while another session is active; 30 s. */
  sessionConflictRetryMs?: number;
  /** Backoff after failures; 1 s doubling to 60 s. */
  backoff?: BackoffOptions;
  /** The runner's work folder in its JIT config; `_work`. */
  workFolder?: string;
};

export type ScaleSetState =
  'idle' | 'connecting' | 'waiting-for-session' | 'listening' | 'backing-off' | 'stopped';

export type ScaleSetHealth = {
  scaleSetName: string;
  scaleSetId: number | undefined;
  state: ScaleSetState;
  sessionId: string | undefined;
  statistics: ScaleSetStatistics | undefined;
  /** Epoch ms the queue last answered (200 or 202), and the last message. */
  lastPollAt: number | undefined;
  lastMessageAt: number | undefined;
  sincePollMs: number | undefined;
  sinceMessageMs: number | undefined;
  messagesHandled: number;
  consecutiveFailures: number;
  lastError: string | undefined;
  adminTokenExpiresAt: number | undefined;
};

export type ScaleSetRunnerConfig = {
  runnerName: string;
  runnerId: number;
  encodedJitConfig: string;
};

export type OnScaleSetBatch = (batch: ScaleSetBatch) => void | Promise<void>;

export type ScaleSetSource = {
  start(onBatch: OnScaleSetBatch): void;
  stop(): Promise<void>;
  jitConfig(runnerName: string): Promise<ScaleSetRunnerConfig>;
  health(): ScaleSetHealth;
};

const NO_STATISTICS: ScaleSetStatistics = {
  totalAvailableJobs: 0,
  totalAcquiredJobs: 0,
  totalAssignedJobs: 0,
  totalRunningJobs: 0,
  totalRegisteredRunners: 0,
  totalBusyRunners: 0,
  totalIdleRunners: 0,
};

/** The session is gone (deleted, expired, or its scale set removed): open a new one. */
class SessionLost extends Error {}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createScaleSetSource(options: ScaleSetSourceOptions): ScaleSetSource {
  const { actions, log } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const scaleSet = options.scaleSetName;
  const abort = new AbortController();
  let state: ScaleSetState = 'idle';
  let running: Promise<void> | undefined;
  let current: { scaleSetId: number; session: ScaleSetSession } | undefined;
  let statistics: ScaleSetStatistics | undefined;
  let lastPollAt: number | undefined;
  let lastMessageAt: number | undefined;
  let messagesHandled = 0;
  let failures = 0;
  let lastError: string | undefined;
  const keeper = createScaleSetKeeper({
    actions,
    name: scaleSet,
    labels: options.labels ?? [],
    runnerGroup: options.runnerGroup ?? 'default',
    ownerName: options.ownerName,
    log,
    sleep,
    sessionConflictRetryMs: options.sessionConflictRetryMs ?? 30_000,
    onWaiting: (waiting) => {
      state = waiting ? 'waiting-for-session' : 'connecting';
    },
  });
  const stopping = () => abort.signal.aborted;

  async function refreshSession(): Promise<void> {
    if (!current) throw new SessionLost('no session');
    try {
      current.session = await actions.refreshSession(current.scaleSetId, current.session.sessionId);
      log.info({ scaleSet }, 'message queue token refreshed');
    } catch (error) {
      const kind = classifyActionsError(error);
      if (kind === 'not-found' || kind === 'refused') throw new SessionLost(errorText(error));
      throw error;
    }
  }

  /** Runs a call with the session's queue token; on 401 refreshes the session and runs it again. */
  async function withSession<T>(call: (session: ScaleSetSession) => Promise<T>): Promise<T> {
    if (!current) throw new SessionLost('no session');
    try {
      return await call(current.session);
    } catch (error) {
      if (classifyActionsError(error) !== 'unauthorized') throw error;
      await refreshSession();
      return call(current.session);
    }
  }

  async function deliver(onBatch: OnScaleSetBatch, batch: ScaleSetBatch): Promise<void> {
    await onBatch(batch);
    statistics = batch.statistics;
  }

  async function handle(onBatch: OnScaleSetBatch, message: ParsedMessage): Promise<void> {
    const offered = message.jobs.flatMap((job) =>
      job.messageType === 'JobAvailable' ? [job.runnerRequestId] : [],
    );
    const scaleSetId = current?.scaleSetId ?? 0;
    const acquired = new Set(
      offered.length === 0
        ? []
        : await withSession((session) => actions.acquireJobs(scaleSetId, session, offered)),
    );
    if (offered.length > 0)
      log.debug({ scaleSet, offered: offered.length, acquired: acquired.size }, 'jobs acquired');
    await deliver(onBatch, {
      messageId: message.messageId,
      statistics: message.statistics ?? statistics ?? NO_STATISTICS,
      events: toEvents(message.jobs, acquired),
      receivedAt: now(),
    });
    lastMessageAt = now();
    messagesHandled += 1;
    try {
      await withSession((session) => actions.acknowledgeMessage(session, message.messageId));
    } catch (error) {
      // Applied but not acknowledged: it comes again to a later session, applied idempotently.
      log.warn(
        { scaleSet, messageId: message.messageId, err: error },
        'message acknowledgement failed',
      );
    }
  }

  /** Polls the open session until it is lost or the source stops. */
  async function listen(onBatch: OnScaleSetBatch, initial: ScaleSetBatch): Promise<void> {
    let pendingInitial: ScaleSetBatch | undefined = initial;
    let lastMessageId = 0;
    while (!stopping() && current) {
      try {
        if (pendingInitial) {
          await deliver(onBatch, pendingInitial);
          pendingInitial = undefined;
        }
        const capacity = Math.max(0, Math.floor(options.maxCapacity()));
        const answer = await withSession((session) =>
          actions.pollMessage(session, lastMessageId, capacity, abort.signal),
        );
        lastPollAt = now();
        failures = 0;
        lastError = undefined;
        state = 'listening';
        if (answer.kind === 'empty') continue;
        await handle(onBatch, answer.message);
        lastMessageId = answer.message.messageId;
      } catch (error) {
        if (stopping()) return;
        const kind = error instanceof SessionLost ? 'lost' : classifyActionsError(error);
        lastError = errorText(error);
        if (kind === 'lost' || kind === 'not-found' || kind === 'refused') {
          log.warn({ scaleSet, err: error }, 'scale set session lost; opening a new one');
          return;
        }
        failures += 1;
        state = 'backing-off';
        const retryInMs = backoffDelay(failures, options.backoff);
        log.warn({ scaleSet, err: error, retryInMs }, 'scale set listener failed; retrying');
        await sleep(retryInMs, abort.signal);
      }
    }
  }

  async function run(onBatch: OnScaleSetBatch): Promise<void> {
    while (!stopping()) {
      try {
        state = 'connecting';
        current = await keeper.open(abort.signal);
        log.info(
          { scaleSet, scaleSetId: current.scaleSetId, sessionId: current.session.sessionId },
          'scale set session opened',
        );
        await listen(onBatch, {
          messageId: undefined,
          statistics: current.session.statistics ?? statistics ?? NO_STATISTICS,
          events: [],
          receivedAt: now(),
        });
        if (stopping()) return;
        // Lost: a first loss reconnects at once, repeated ones back off. A session the service
        // still holds (refused, say) would only make the next one wait out a 409.
        const lost = current;
        current = undefined;
        await actions.deleteSession(lost.scaleSetId, lost.session.sessionId).catch(() => undefined);
        failures += 1;
        if (failures > 1) await sleep(backoffDelay(failures - 1, options.backoff), abort.signal);
      } catch (error) {
        if (stopping()) return;
        failures += 1;
        lastError = errorText(error);
        state = 'backing-off';
        const retryInMs = backoffDelay(failures, options.backoff);
        log.warn({ scaleSet, err: error, retryInMs }, 'scale set session failed; retrying');
        await sleep(retryInMs, abort.signal);
      }
    }
  }

  return {
    start(onBatch) {
      if (running || stopping()) throw new Error(`scale set source ${scaleSet} already started`);
      running = run(onBatch);
    },

    async stop() {
      if (state === 'stopped') return;
      abort.abort();
      await running;
      const ending = current;
      current = undefined;
      state = 'stopped';
      if (!ending) return;
      try {
        await actions.deleteSession(ending.scaleSetId, ending.session.sessionId);
        log.info({ scaleSet, sessionId: ending.session.sessionId }, 'scale set session deleted');
      } catch (error) {
        log.warn({ scaleSet, err: error }, 'scale set session deletion failed');
      }
    },

    async jitConfig(runnerName) {
      const scaleSetId = keeper.id();
      if (scaleSetId === undefined) throw new Error(`scale set ${scaleSet} is not ready yet`);
      try {
        const jit = await actions.generateJitConfig(
          scaleSetId,
          runnerName,
          options.workFolder ?? '_work',
        );
        return {
          runnerName: jit.runner.name,
          runnerId: jit.runner.id,
          encodedJitConfig: jit.encodedJITConfig,
        };
      } catch (error) {
        if (classifyActionsError(error) === 'not-found') keeper.forget();
        throw error;
      }
    },

    health() {
      const at = now();
      return {
        scaleSetName: scaleSet,
        scaleSetId: keeper.id(),
        state,
        sessionId: current?.session.sessionId,
        statistics,
        lastPollAt,
        lastMessageAt,
        sincePollMs: lastPollAt === undefined ? undefined : at - lastPollAt,
        sinceMessageMs: lastMessageAt === undefined ? undefined : at - lastMessageAt,
        messagesHandled,
        consecutiveFailures: failures,
        lastError,
        adminTokenExpiresAt: actions.admin.expiresAt(),
      };
    },
  };
}
