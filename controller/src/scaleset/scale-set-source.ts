/**
 * A pool's job source in scale-set mode: GitHub's runner scale set protocol, no webhook.
 *
 * ```ts
 * const actions = createActionsClient({ apiUrl, configUrl, registrationToken, log }); // one per repository/org
 * const source = createScaleSetSource({ actions, scaleSetName, ownerName, log });
 * source.start({ batch: async (batch) => { ...book batch.events... }, maxCapacity: () => n });
 * const { runnerName, encodedJitConfig } = await source.jitConfig('runner-abc'); // per runner
 * source.health(); // state, statistics, message lag
 * await source.stop(); // on SIGTERM: ends the poll, deletes the session
 * ```
 *
 * - `start({ batch, maxCapacity })` finds the scale set by name (creating it with its name as its label plus
 *   `labels`; recreating it, with a log line, when it was removed on GitHub's side), opens a
 *   session (waiting out a 409 while an earlier one is active) and long-polls its queue.
 *   `batch` gets the statistics a session starts with (`messageId` undefined), then one
 *   batch per message: statistics and job events in the order sent. A message is acknowledged
 *   only after `batch` resolved: if it throws (or the process dies), the message comes again
 *   (after a restart, to the next session), so `batch` must apply events idempotently. Jobs
 *   offered (`job-available`) are acquired before `batch` sees them. The consumer is
 *   actions/scaleset's Scaler as this controller needs it: the source knows nothing else of it.
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
 * - `health()` is cheap and holds no secret. `sincePollMs` is the time since the service last
 *   answered (the queue, or the probe sent when the queue has been quiet for 10 s: under 15 s
 *   or so when healthy); `sinceMessageMs` the time since the last message.
 *
 * Protocol after github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca
 * (client.go, session_client.go, types.go, listener/listener.go). Unlike its listener, which
 * acknowledges a message before handling it, this one acknowledges after, so a crash loses
 * no event.
 */
import type { Logger } from 'pino';
import type { ActionsClient } from './actions-client.ts';
import { classifyActionsError } from './actions-error.ts';
import type { ScaleSetStatistics } from './actions-wire.ts';
import { abortableSleep, type Sleep } from './backoff.ts';
import { createScaleSetKeeper } from './scale-set-keeper.ts';
import {
  createScaleSetListener,
  type ListenerStatus,
  type OnScaleSetBatch,
  type RetryOptions,
  type ScaleSetState,
} from './scale-set-listener.ts';

export type { OnScaleSetBatch, ScaleSetState } from './scale-set-listener.ts';

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
  log: Logger;
  now?: () => number;
  sleep?: Sleep;
  /** Wait between session attempts while another session is active; 30 s. */
  sessionConflictRetryMs?: number;
  /** Retries after failures: 1 s doubling, to 5 s for polls and 30 s for sessions. */
  backoff?: RetryOptions;
  /** The runner's work folder in its JIT config; `_work`. */
  workFolder?: string;
};

export type ScaleSetHealth = {
  scaleSetName: string;
  scaleSetId: number | undefined;
  state: ScaleSetState;
  sessionId: string | undefined;
  statistics: ScaleSetStatistics | undefined;
  /** Epoch ms the service last answered (the queue, or a probe of a quiet one), and the last message. */
  lastPollAt: number | undefined;
  lastMessageAt: number | undefined;
  sincePollMs: number | undefined;
  sinceMessageMs: number | undefined;
  messagesHandled: number;
  consecutiveFailures: number;
  lastError: string | undefined;
  adminTokenExpiresAt: number | undefined;
  /** Since when the queue has not been heard (no session, or its polls fail). */
  downSince: number | undefined;
  /** When the next attempt is due, while waiting for one. */
  retryAt: number | undefined;
};

export type ScaleSetRunnerConfig = {
  runnerName: string;
  runnerId: number;
  encodedJitConfig: string;
};

/** What a started source hands its work to. */
export type ScaleSetConsumer = {
  /** Statistics and job events of one message (or of a new session), to apply idempotently. */
  batch: OnScaleSetBatch;
  /** How many jobs the scale set can hold now; read before every poll. */
  maxCapacity: () => number;
};

export type ScaleSetSource = {
  start(consumer: ScaleSetConsumer): void;
  stop(): Promise<void>;
  jitConfig(runnerName: string): Promise<ScaleSetRunnerConfig>;
  health(): ScaleSetHealth;
};

export function createScaleSetSource(options: ScaleSetSourceOptions): ScaleSetSource {
  const { actions, log } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const scaleSet = options.scaleSetName;
  const abort = new AbortController();
  const status: ListenerStatus = {
    state: 'idle',
    current: undefined,
    statistics: undefined,
    lastPollAt: undefined,
    lastMessageAt: undefined,
    messagesHandled: 0,
    failures: 0,
    lastError: undefined,
    downSince: undefined,
    retryAt: undefined,
  };
  const conflictRetryMs = options.sessionConflictRetryMs ?? 30_000;
  const keeper = createScaleSetKeeper({
    actions,
    name: scaleSet,
    labels: options.labels ?? [],
    runnerGroup: options.runnerGroup ?? 'default',
    ownerName: options.ownerName,
    log,
    sleep,
    sessionConflictRetryMs: conflictRetryMs,
    onWaiting: (waiting) => {
      status.state = waiting ? 'waiting-for-session' : 'connecting';
      status.retryAt = waiting ? now() + conflictRetryMs : undefined;
    },
  });
  let running: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  return {
    start(consumer) {
      if (running || abort.signal.aborted)
        throw new Error(`scale set source ${scaleSet} already started`);
      const run = createScaleSetListener({
        actions,
        keeper,
        scaleSet,
        maxCapacity: consumer.maxCapacity,
        log,
        now,
        sleep,
        backoff: options.backoff,
        signal: abort.signal,
        status,
      });
      running = run(consumer.batch);
    },

    stop() {
      stopping ??= (async () => {
        abort.abort();
        await running;
        const ending = status.current;
        status.current = undefined;
        status.state = 'stopped';
        if (!ending) return;
        try {
          await actions.deleteSession(ending.scaleSetId, ending.session.sessionId);
          log.info({ scaleSet, sessionId: ending.session.sessionId }, 'scale set session deleted');
        } catch (error) {
          log.warn({ scaleSet, err: error }, 'scale set session deletion failed');
        }
      })();
      return stopping;
    },

    async jitConfig(runnerName) {
      const scaleSetId = keeper.id();
      if (scaleSetId === undefined) throw new Error(`scale set ${scaleSet} is not ready yet`);
      try {
        const jit = await actions.generateJitConfig(
          scaleSetId,
          runnerName,
          options.workFolder ?? '_work',
          abort.signal,
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
      const { lastPollAt, lastMessageAt } = status;
      return {
        scaleSetName: scaleSet,
        scaleSetId: keeper.id(),
        state: status.state,
        sessionId: status.current?.session.sessionId,
        statistics: status.statistics,
        lastPollAt,
        lastMessageAt,
        sincePollMs: lastPollAt === undefined ? undefined : at - lastPollAt,
        sinceMessageMs: lastMessageAt === undefined ? undefined : at - lastMessageAt,
        messagesHandled: status.messagesHandled,
        consecutiveFailures: status.failures,
        lastError: status.lastError,
        adminTokenExpiresAt: actions.admin.expiresAt(),
        downSince: status.state === 'stopped' ? undefined : status.downSince,
        retryAt: status.retryAt,
      };
    },
  };
}
