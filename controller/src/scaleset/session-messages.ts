import type { Logger } from 'pino';
import type { ActionsClient } from './actions-client.ts';
import { classifyActionsError } from './actions-error.ts';
import type { ScaleSetSession, ScaleSetStatistics } from './actions-wire.ts';
import type { ParsedMessage } from './message-queue.ts';
import { toEvents, type ScaleSetBatch } from './scale-set-events.ts';

export type ScaleSetState =
  'idle' | 'connecting' | 'waiting-for-session' | 'listening' | 'backing-off' | 'stopped';

export type OnScaleSetBatch = (batch: ScaleSetBatch) => void | Promise<void>;

/** What the listener knows, read by health(); only the listener writes it. */
export type ListenerStatus = {
  state: ScaleSetState;
  current: { scaleSetId: number; session: ScaleSetSession } | undefined;
  statistics: ScaleSetStatistics | undefined;
  /** When the service last answered the listener (its queue, or a probe). */
  lastPollAt: number | undefined;
  lastMessageAt: number | undefined;
  messagesHandled: number;
  failures: number;
  lastError: string | undefined;
  /** Since when the queue has not been heard (no session, or polls failing); undefined: it is. */
  downSince: number | undefined;
  /** When the next attempt is due at the latest while backing off (a probe may come sooner). */
  retryAt: number | undefined;
};

export const NO_STATISTICS: ScaleSetStatistics = {
  totalAvailableJobs: 0,
  totalAcquiredJobs: 0,
  totalAssignedJobs: 0,
  totalRunningJobs: 0,
  totalRegisteredRunners: 0,
  totalBusyRunners: 0,
  totalIdleRunners: 0,
};

/** The session is gone (deleted, expired, or its scale set removed): open a new one. */
export class SessionLost extends Error {}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type SessionMessagesDeps = {
  actions: ActionsClient;
  status: ListenerStatus;
  scaleSet: string;
  log: Logger;
  now: () => number;
};

/**
 * The calls of an open session (with its queue token, refreshed on a 401) and what is done with
 * a message: offered jobs acquired, the batch handed over, then acknowledged. After listener.go
 * of github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca, which acknowledges
 * before handling; here the acknowledgement waits for `onBatch`, so a crash loses no event.
 */
export function createSessionMessages(deps: SessionMessagesDeps) {
  const { actions, status, scaleSet, log, now } = deps;

  async function refreshSession(): Promise<void> {
    const current = status.current;
    if (!current) throw new SessionLost('no session');
    try {
      current.session = await actions.refreshSession(current.scaleSetId, current.session.sessionId);
      log.info({ scaleSet }, 'message queue token refreshed');
    } catch (error) {
      // 404: the service no longer holds the session (actions/scaleset#123).
      const kind = classifyActionsError(error);
      if (kind === 'not-found' || kind === 'refused') throw new SessionLost(errorText(error));
      throw error;
    }
  }

  /** Runs a call with the session's queue token; on 401 refreshes the session and runs it again. */
  async function withSession<T>(call: (session: ScaleSetSession) => Promise<T>): Promise<T> {
    const current = status.current;
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
    status.statistics = batch.statistics;
  }

  async function handle(onBatch: OnScaleSetBatch, message: ParsedMessage): Promise<void> {
    const offered = message.jobs.flatMap((job) =>
      job.messageType === 'JobAvailable' ? [job.runnerRequestId] : [],
    );
    const scaleSetId = status.current?.scaleSetId ?? 0;
    const acquired = new Set(
      offered.length === 0
        ? []
        : await withSession((session) => actions.acquireJobs(scaleSetId, session, offered)),
    );
    if (offered.length > 0)
      log.debug({ scaleSet, offered: offered.length, acquired: acquired.size }, 'jobs acquired');
    await deliver(onBatch, {
      messageId: message.messageId,
      statistics: message.statistics ?? status.statistics ?? NO_STATISTICS,
      events: toEvents(message.jobs, acquired),
      receivedAt: now(),
    });
    status.lastMessageAt = now();
    status.messagesHandled += 1;
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

  return { withSession, deliver, handle };
}
